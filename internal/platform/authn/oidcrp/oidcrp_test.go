package oidcrp

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"
)

func newTestClient(t *testing.T) *Client {
	t.Helper()
	c, err := New(Config{Issuer: "http://127.0.0.1:1/", ClientID: "desk", RedirectURL: "http://127.0.0.1:2/desk/callback", Cookie: "login"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewChecksConfig(t *testing.T) {
	if _, err := New(Config{Issuer: "http://x", ClientID: "a", Cookie: "c"}, nil); err == nil {
		t.Error("no redirect URL accepted")
	}
	if _, err := New(Config{Issuer: "http://x", ClientID: "a", RedirectURL: "http://y/cb", Cookie: "c"}, []byte("short")); err == nil {
		t.Error("a short key accepted")
	}
	c := newTestClient(t)
	if !slices.Contains(c.cfg.Scopes, "openid") || c.path != "/desk/callback" || c.Origin() != "http://127.0.0.1:1" {
		t.Fatalf("config: %+v path %q origin %q", c.cfg.Scopes, c.path, c.Origin())
	}
}

func TestPendingSealedAndExpires(t *testing.T) {
	c := newTestClient(t)
	now := time.Unix(1_750_000_000, 0)
	c.now = func() time.Time { return now }
	v := c.seal(pending{State: "s", Nonce: "n", Verifier: "v", Next: "/desk/", Exp: now.Add(pendingTTL).Unix()})
	if p, ok := c.open(v); !ok || p.State != "s" || p.Next != "/desk/" {
		t.Fatalf("open: %+v %v", p, ok)
	}
	if _, ok := newTestClient(t).open(v); ok {
		t.Error("another client's key opened the cookie")
	}
	if _, ok := c.open(v[:len(v)-2] + "AA"); ok {
		t.Error("a tampered cookie opened")
	}
	now = now.Add(pendingTTL + time.Second)
	if _, ok := c.open(v); ok {
		t.Error("an expired sign-in opened")
	}
}

func TestCompleteRefusesForeignState(t *testing.T) {
	c := newTestClient(t)
	now := time.Now()
	v := c.seal(pending{State: "mine", Exp: now.Add(time.Minute).Unix()})
	for name, req := range map[string]*http.Request{
		"no cookie":   httptest.NewRequest("GET", "/desk/callback?code=x&state=mine", nil),
		"other state": withCookie(httptest.NewRequest("GET", "/desk/callback?code=x&state=forged", nil), v),
	} {
		w := httptest.NewRecorder()
		if _, _, err := c.Complete(w, req); err == nil {
			t.Errorf("%s: accepted", name)
		}
		if ck := w.Result().Cookies(); len(ck) != 1 || ck[0].MaxAge >= 0 {
			t.Errorf("%s: the sign-in cookie is not cleared: %v", name, ck)
		}
	}
	w := httptest.NewRecorder()
	if _, _, err := c.Complete(w, withCookie(httptest.NewRequest("GET", "/desk/callback?error=access_denied&state=mine", nil), v)); err != ErrDenied {
		t.Errorf("access_denied: %v", err)
	}
}

func withCookie(r *http.Request, v string) *http.Request {
	r.AddCookie(&http.Cookie{Name: "login", Value: v})
	return r
}

func TestIdentityClaims(t *testing.T) {
	id := &Identity{Claims: map[string]any{"agency": "000.00.92.H26", "roles": []any{"leader", 3, "specialist"}, "one": "x"}}
	if id.String("agency") != "000.00.92.H26" || id.String("roles") != "" {
		t.Error("String")
	}
	if got := id.Strings("roles"); !slices.Equal(got, []string{"leader", "specialist"}) {
		t.Errorf("Strings: %v", got)
	}
	if got := id.Strings("one"); !slices.Equal(got, []string{"x"}) || id.Strings("none") != nil {
		t.Errorf("Strings of one: %v", got)
	}
}
