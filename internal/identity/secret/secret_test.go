package secret

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
)

var phc = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerify(t *testing.T) {
	h, err := Hash("Phở bò Hà Nội ngon nhất")
	if err != nil {
		t.Fatal(err)
	}
	if !phc.MatchString(h) {
		t.Fatalf("not the expected PHC string: %s", h)
	}
	h2, _ := Hash("Phở bò Hà Nội ngon nhất")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
	ok, rehash, err := Verify(h, "Phở bò Hà Nội ngon nhất")
	if !ok || rehash || err != nil {
		t.Fatalf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
	ok, rehash, err = Verify(h, "Pho bo Ha Noi ngon nhat")
	if ok || rehash || err != nil {
		t.Fatalf("wrong password: ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

// A hash made elsewhere verifies: the encoding is the standard one, not
// ours alone. Its 8-byte salt is shorter than ours, so it asks for a rehash.
func TestVerifyReferenceHash(t *testing.T) {
	// argon2id, password "password", salt "somesalt", m=65536,t=2,p=1, 32 bytes
	// (from the reference implementation's test vectors).
	const h = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	ok, rehash, err := Verify(h, "password")
	if !ok || !rehash || err != nil {
		t.Fatalf("ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

func encode(pw string, salt []byte, tm, m uint32, p uint8, keyLen uint32) string {
	key := argon2.IDKey([]byte(pw), salt, tm, m, p, keyLen)
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, tm, p, b64.EncodeToString(salt), b64.EncodeToString(key))
}

func TestNeedsRehash(t *testing.T) {
	salt16 := []byte("0123456789abcdef")
	cases := []struct {
		name string
		hash string
		want bool
	}{
		{"current", encode("mật khẩu dài", salt16, Time, Memory, Threads, KeyLen), false},
		{"stronger", encode("mật khẩu dài", salt16, 3, 32768, 2, 32), false},
		{"less memory", encode("mật khẩu dài", salt16, Time, 4096, Threads, KeyLen), true},
		{"one pass", encode("mật khẩu dài", salt16, 1, Memory, Threads, KeyLen), true},
		{"short salt", encode("mật khẩu dài", []byte("12345678"), Time, Memory, Threads, KeyLen), true},
		{"short key", encode("mật khẩu dài", salt16, Time, Memory, Threads, 16), true},
	}
	for _, c := range cases {
		ok, rehash, err := Verify(c.hash, "mật khẩu dài")
		if !ok || err != nil || rehash != c.want {
			t.Errorf("%s: ok=%v rehash=%v (want %v) err=%v", c.name, ok, rehash, c.want, err)
		}
		// A wrong password never asks for a rehash.
		if ok, rehash, _ := Verify(c.hash, "sai"); ok || rehash {
			t.Errorf("%s: wrong password: ok=%v rehash=%v", c.name, ok, rehash)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	good, _ := Hash("một mật khẩu")
	parts := strings.Split(good, "$")
	bad := []string{
		"",
		"plaintext",
		"$2a$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", // bcrypt
		strings.Replace(good, "argon2id", "argon2i", 1),
		strings.Replace(good, "v=19", "v=16", 1),
		strings.Replace(good, "m=19456", "m=4194304", 1), // 4 GiB
		strings.Replace(good, "t=2", "t=100000", 1),
		strings.Replace(good, "m=19456,", "", 1),
		strings.Replace(good, "p=1", "p=0", 1),
		strings.Replace(good, "p=1", "p=1,x=2", 1),
		strings.Join([]string{"", parts[1], parts[2], parts[3], "***", parts[5]}, "$"),
		strings.Join([]string{"", parts[1], parts[2], parts[3], parts[4], "c2hvcnQ"}, "$"),
		good + "$extra",
	}
	for _, h := range bad {
		ok, rehash, err := Verify(h, "một mật khẩu")
		if ok || rehash || !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: ok=%v rehash=%v err=%v", h, ok, rehash, err)
		}
	}
}

// Dummy costs about what a Verify costs, so an unknown account answers
// as slowly as a known one.
func TestDummyTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing")
	}
	h, _ := Hash("một mật khẩu")
	measure := func(fn func()) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			fn()
			best = min(best, time.Since(start))
		}
		return best
	}
	v := measure(func() { Verify(h, "sai mật khẩu") })
	d := measure(func() { Dummy("sai mật khẩu") })
	if d < v/3 || d > v*3 {
		t.Fatalf("Dummy took %v, Verify %v", d, v)
	}
}

func TestCheckStrength(t *testing.T) {
	cases := map[string][]string{
		"":                         {ProblemTooShort},
		"ngắn":                     {ProblemTooShort},
		"123456789":                {ProblemTooShort, ProblemAllDigits, ProblemCommon},
		"0912345678":               {ProblemAllDigits},
		"matkhau":                  {ProblemTooShort, ProblemCommon},
		"matkhau123":               {ProblemCommon},
		"Mật Khẩu 2024":            {ProblemCommon},
		"anhyeuem":                 {ProblemTooShort, ProblemCommon},
		"Anh Yêu Em 1999":          {ProblemCommon},
		"P@ssw0rd":                 {ProblemTooShort, ProblemCommon},
		"qwertyuiop":               {ProblemCommon},
		"iloveyou123456":           {ProblemCommon},
		"ngựa vằn ăn phở":          nil,
		"Tôi thích ăn phở Hà Nội":  nil,
		"correct horse battery":    nil,
		"đủ mười ký":               nil, // ten characters, more bytes
		"matkhau-cua-minh-la-dai!": nil,
	}
	for pw, want := range cases {
		if got := CheckStrength(pw); !slices.Equal(got, want) {
			t.Errorf("CheckStrength(%q) = %q, want %q", pw, got, want)
		}
	}
}

func TestCommonListFolded(t *testing.T) {
	for k := range common() {
		if k != strings.ToLower(k) || strings.ContainsAny(k, " \t") {
			t.Errorf("common list entry %q is not lowercase without spaces", k)
		}
	}
	for _, must := range []string{"matkhau", "123456789", "anhyeuem"} {
		if !common()[must] {
			t.Errorf("common list lacks %q", must)
		}
	}
}
