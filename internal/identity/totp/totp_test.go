package totp

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// The SHA-1 rows of RFC 6238 Appendix B: the seed is the ASCII string
// "12345678901234567890", the codes have 8 digits.
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

var rfcSecret = b32.EncodeToString([]byte("12345678901234567890"))

func TestRFC6238Vectors(t *testing.T) {
	if rfcSecret != "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" {
		t.Fatalf("secret encodes as %s", rfcSecret)
	}
	key, err := decode(rfcSecret)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range rfc6238 {
		at := time.Unix(v.unix, 0)
		if got := hotp(key, uint64(Step(at)), 8); got != v.code {
			t.Errorf("%d: 8-digit code %s, want %s", v.unix, got, v.code)
		}
		// Six digits are the last six of the eight.
		want6 := v.code[2:]
		got, err := Code(rfcSecret, at)
		if err != nil || got != want6 {
			t.Errorf("%d: Code = %s, %v; want %s", v.unix, got, err, want6)
		}
		if step, ok := Verify(rfcSecret, want6, at, 0); !ok || step != Step(at) {
			t.Errorf("%d: Verify = %d, %v", v.unix, step, ok)
		}
	}
}

func TestVerify(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 7, 1, 8, 0, 10, 0, time.UTC)
	cur := Step(now)
	at := func(d time.Duration) string {
		c, err := Code(secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	for _, c := range []struct {
		name string
		code string
		last int64
		step int64
		ok   bool
	}{
		{"current", at(0), 0, cur, true},
		{"previous step", at(-Period), 0, cur - 1, true},
		{"next step", at(Period), 0, cur + 1, true},
		{"two steps ago", at(-2 * Period), 0, 0, false},
		{"two steps ahead", at(2 * Period), 0, 0, false},
		{"replay of the same step", at(0), cur, 0, false},
		{"an older step after a newer one", at(-Period), cur, 0, false},
		{"a newer step after an older one", at(Period), cur, cur + 1, true},
		{"spaces", at(0)[:3] + " " + at(0)[3:] + " ", 0, cur, true},
		{"too short", at(0)[:5], 0, 0, false},
		{"too long", at(0) + "0", 0, 0, false},
		{"letters", "abcdef", 0, 0, false},
		{"empty", "", 0, 0, false},
	} {
		step, ok := Verify(secret, c.code, now, c.last)
		if ok != c.ok || step != c.step {
			t.Errorf("%s: Verify(%q, last %d) = %d, %v; want %d, %v", c.name, c.code, c.last, step, ok, c.step, c.ok)
		}
	}
	if _, ok := Verify("not base32!", at(0), now, 0); ok {
		t.Error("a malformed secret verified")
	}
}

func TestSecret(t *testing.T) {
	a, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewSecret()
	if len(a) != 32 || strings.Contains(a, "=") || a == b {
		t.Fatalf("secrets %q %q", a, b)
	}
	key, err := decode(a)
	if err != nil || len(key) != SecretLen {
		t.Fatalf("decode: %d bytes, %v", len(key), err)
	}
	// As people copy it from a screen: lowercase, in groups.
	lower := strings.ToLower(a[:4] + " " + a[4:8] + "-" + a[8:])
	now := time.Now()
	c1, _ := Code(a, now)
	c2, err := Code(lower, now)
	if err != nil || c1 != c2 {
		t.Fatalf("copied secret: %s vs %s, %v", c1, c2, err)
	}
	if _, err := Code("1111", now); err == nil {
		t.Fatal("Code accepted a secret that is not base32")
	}
}

func TestURI(t *testing.T) {
	u := URI("Cổng DVC: vngov", "nguyen.van.a@example.vn", "JBSWY3DPEHPK3PXP")
	if strings.Contains(u, "+") {
		t.Errorf("a space became +: %s", u)
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	if p.Scheme != "otpauth" || p.Host != "totp" {
		t.Fatalf("scheme/host: %s", u)
	}
	label := strings.TrimPrefix(p.EscapedPath(), "/")
	issuer, account, ok := strings.Cut(label, ":")
	if !ok || strings.Count(label, ":") != 1 {
		t.Fatalf("label %q must have exactly one literal colon", label)
	}
	if is, _ := url.PathUnescape(issuer); is != "Cổng DVC: vngov" {
		t.Errorf("issuer in label: %q", is)
	}
	if ac, _ := url.PathUnescape(account); ac != "nguyen.van.a@example.vn" {
		t.Errorf("account in label: %q", ac)
	}
	q := p.Query()
	for k, want := range map[string]string{"secret": "JBSWY3DPEHPK3PXP", "issuer": "Cổng DVC: vngov", "algorithm": "SHA1", "digits": "6", "period": "30"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
}
