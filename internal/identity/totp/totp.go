// Package totp makes and checks time-based one-time passwords (RFC 6238)
// as authenticator apps show them: HMAC-SHA-1, 6 digits, a new code every
// 30 seconds.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The parameters every code uses; authenticator apps assume them when an
// otpauth URI does not say otherwise.
const (
	Digits    = 6
	Period    = 30 * time.Second
	SecretLen = 20 // bytes: the size of a SHA-1 output, as RFC 4226 advises
)

// Skew is how many steps before and after the current one Verify accepts,
// for phones whose clocks are off and people who type slowly.
const Skew = 1

// ErrSecret is returned (wrapped) for a secret that is not base32.
var ErrSecret = errors.New("totp: invalid secret")

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a new random secret of SecretLen bytes, in base32
// without padding, as authenticator apps take it.
func NewSecret() (string, error) {
	b := make([]byte, SecretLen)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("totp: read random secret: %w", err)
	}
	return b32.EncodeToString(b), nil
}

// decode accepts the secret as people copy it: any case, with spaces or
// dashes between groups, with or without padding.
func decode(secret string) ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '=':
			return -1
		}
		return r
	}, strings.ToUpper(secret))
	key, err := b32.DecodeString(s)
	if err != nil || len(key) == 0 {
		return nil, fmt.Errorf("%w: not base32", ErrSecret)
	}
	return key, nil
}

// Step returns the number of the 30-second step that t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// hotp is RFC 4226's HOTP value of counter, as a zero-padded decimal
// string of digits digits.
func hotp(key []byte, counter uint64, digits int) string {
	mac := hmac.New(sha1.New, key)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

// Code returns the code for secret at time t.
func Code(secret string, t time.Time) (string, error) {
	key, err := decode(secret)
	if err != nil {
		return "", err
	}
	return hotp(key, uint64(Step(t)), Digits), nil
}

// Verify checks code, as the person typed it (spaces are ignored), against
// secret at time t, accepting the codes of Skew steps before and after t.
// A code of a step at or before lastStep is refused: it was used already,
// and accepting it again would let someone who saw it replay it. On success
// step is the step the code belongs to; the caller stores it as the next
// lastStep (0 for an account that never used a code). A malformed secret
// or code is simply not ok.
func Verify(secret, code string, t time.Time, lastStep int64) (step int64, ok bool) {
	key, err := decode(secret)
	if err != nil {
		return 0, false
	}
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\u00a0' {
			return -1
		}
		return r
	}, code)
	if len(code) != Digits {
		return 0, false
	}
	now := Step(t)
	// Every candidate is computed and compared, so the time taken does not
	// tell which step (if any) matched.
	for s := now - Skew; s <= now+Skew; s++ {
		match := subtle.ConstantTimeCompare([]byte(hotp(key, uint64(s), Digits)), []byte(code)) == 1
		if match && s > lastStep && !ok {
			step, ok = s, true
		}
	}
	return step, ok
}

// URI returns the otpauth:// URI that authenticator apps read (usually
// from a QR code) to add the account: the label "issuer:account", the
// secret, the issuer again as a parameter, and the algorithm, digits and
// period spelled out.
func URI(issuer, account, secret string) string {
	label := escape(account)
	if issuer != "" {
		label = escape(issuer) + ":" + label
	}
	q := "secret=" + escape(strings.ToUpper(secret))
	if issuer != "" {
		q += "&issuer=" + escape(issuer)
	}
	q += fmt.Sprintf("&algorithm=SHA1&digits=%d&period=%d", Digits, int(Period/time.Second))
	return "otpauth://totp/" + label + "?" + q
}

// escape percent-encodes s for both the label and the query: spaces as
// %20 (some apps show a "+" literally) and colons as %3A (a colon in the
// label separates the issuer from the account).
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
