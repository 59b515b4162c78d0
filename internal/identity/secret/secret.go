// Package secret hashes and checks passwords: argon2id with the OWASP
// parameters, stored as PHC strings, verified in constant time, with a
// dummy verification for unknown accounts and a strength check that
// speaks Vietnamese.
package secret

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/vngov/vngov/internal/platform/vntext"
)

// The argon2id parameters of new hashes: OWASP's recommendation of 19 MiB
// of memory, 2 passes, 1 lane, a 16-byte salt and a 32-byte key.
const (
	Memory  = 19456 // KiB
	Time    = 2
	Threads = 1
	SaltLen = 16
	KeyLen  = 32
)

// MinLength is the fewest characters (not bytes) a new password may have.
const MinLength = 10

// ErrMalformed is returned (wrapped) by Verify for an encoded hash that is
// not an argon2id PHC string it can check.
var ErrMalformed = errors.New("secret: malformed password hash")

// Limits on the parameters Verify accepts, so that a damaged or forged
// hash in the database cannot make one login allocate gigabytes.
const (
	maxMemory  = 1 << 20 // KiB: 1 GiB
	maxTime    = 64
	maxThreads = 64
	maxKeyLen  = 128
)

var b64 = base64.RawStdEncoding

// Each argon2id run holds Memory KiB for its duration; a burst of logins
// must not multiply that without bound. More concurrent runs than cores
// would not finish sooner anyway.
var slots = make(chan struct{}, 2*runtime.GOMAXPROCS(0))

func derive(password string, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	slots <- struct{}{}
	defer func() { <-slots }()
	return argon2.IDKey([]byte(password), salt, time, memory, threads, keyLen)
}

// Hash returns the argon2id hash of password as a PHC string:
// $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, both in unpadded base64.
func Hash(password string) (string, error) {
	salt := make([]byte, SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secret: read random salt: %w", err)
	}
	key := derive(password, salt, Time, Memory, Threads, KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, Memory, Time, Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

type params struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

func parse(encoded string) (params, error) {
	var p params
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, fmt.Errorf("%w: not an argon2id PHC string", ErrMalformed)
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, fmt.Errorf("%w: unsupported argon2 version %q", ErrMalformed, parts[2])
	}
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if !ok || err != nil || n == 0 {
			return p, fmt.Errorf("%w: bad parameter %q", ErrMalformed, kv)
		}
		switch k {
		case "m":
			if n > maxMemory {
				return p, fmt.Errorf("%w: memory %d KiB is over the limit", ErrMalformed, n)
			}
			p.memory, seen = uint32(n), seen|1
		case "t":
			if n > maxTime {
				return p, fmt.Errorf("%w: %d passes is over the limit", ErrMalformed, n)
			}
			p.time, seen = uint32(n), seen|2
		case "p":
			if n > maxThreads {
				return p, fmt.Errorf("%w: %d lanes is over the limit", ErrMalformed, n)
			}
			p.threads, seen = uint8(n), seen|4
		default:
			return p, fmt.Errorf("%w: unknown parameter %q", ErrMalformed, k)
		}
	}
	if seen != 7 {
		return p, fmt.Errorf("%w: parameters m, t and p are required", ErrMalformed)
	}
	var err error
	if p.salt, err = b64.DecodeString(parts[4]); err != nil || len(p.salt) < 8 {
		return p, fmt.Errorf("%w: bad salt", ErrMalformed)
	}
	if p.key, err = b64.DecodeString(parts[5]); err != nil || len(p.key) < 16 || len(p.key) > maxKeyLen {
		return p, fmt.Errorf("%w: bad key", ErrMalformed)
	}
	return p, nil
}

// Verify reports whether password matches encoded, a hash made by Hash.
// needsRehash is true when the password matched but encoded was made with
// weaker parameters than Hash uses now: the caller should then store
// Hash(password) in its place. err is non-nil only for a hash that cannot
// be checked (wrapping ErrMalformed), never for a wrong password.
func Verify(encoded, password string) (ok, needsRehash bool, err error) {
	p, err := parse(encoded)
	if err != nil {
		return false, false, err
	}
	key := derive(password, p.salt, p.time, p.memory, p.threads, uint32(len(p.key)))
	if subtle.ConstantTimeCompare(key, p.key) != 1 {
		return false, false, nil
	}
	weaker := p.memory < Memory || p.time < Time || p.threads < Threads ||
		len(p.salt) < SaltLen || len(p.key) < KeyLen
	return true, weaker, nil
}

// dummyHash has the current parameters and a made-up all-zero key that no
// password derives to in practice; writing it down instead of hashing at
// start-up keeps the first Dummy as fast as every later one.
var dummyHash = fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, Memory, Time, Threads,
	b64.EncodeToString(make([]byte, SaltLen)), b64.EncodeToString(make([]byte, KeyLen)))

// Dummy spends the time of a Verify and gives no answer. Call it when the
// account named at sign-in does not exist (or has no password), so that
// the time of the answer does not tell which accounts exist.
func Dummy(password string) {
	_, _, _ = Verify(dummyHash, password)
}

// The problems CheckStrength reports, in Vietnamese.
const (
	ProblemTooShort  = "Mật khẩu phải có ít nhất 10 ký tự."
	ProblemAllDigits = "Mật khẩu không được chỉ gồm chữ số."
	ProblemCommon    = "Mật khẩu này quá phổ biến, dễ bị đoán ra. Hãy chọn mật khẩu khác, ví dụ một cụm vài từ mà chỉ bạn biết."
)

//go:embed common.txt
var commonFile string

var common = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonFile, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[line] = true
		}
	}
	return m
})

// CheckStrength returns what is wrong with password as a new password, as
// Vietnamese sentences to show beside the field; none means it is
// acceptable. It checks the length (at least MinLength characters), that
// it is not digits only, and that it is not one of the commonly chosen
// passwords, also when written with capitals, diacritics, spaces or digits
// and symbols added at the end ("Mật khẩu 2024!" is "matkhau").
func CheckStrength(password string) []string {
	var problems []string
	if utf8.RuneCountInString(password) < MinLength {
		problems = append(problems, ProblemTooShort)
	}
	if password != "" && strings.IndexFunc(password, func(r rune) bool { return !unicode.IsDigit(r) }) < 0 {
		problems = append(problems, ProblemAllDigits)
	}
	if isCommon(password) {
		problems = append(problems, ProblemCommon)
	}
	return problems
}

func isCommon(password string) bool {
	key := strings.ReplaceAll(vntext.Fold(password), " ", "")
	if common()[key] || common()[strings.ToLower(password)] {
		return true
	}
	base := strings.TrimRightFunc(key, unicode.IsDigit)
	return len(base) >= 4 && common()[base]
}
