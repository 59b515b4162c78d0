package authn

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

func cookieOf(t *testing.T, rec *httptest.ResponseRecorder, name string) *http.Cookie {
	t.Helper()
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s in %v", name, rec.Header()["Set-Cookie"])
	return nil
}

func TestSessionsIssueReadClear(t *testing.T) {
	s := NewRandomSessions("vngov_test_session", "/test/", time.Hour)
	now := time.Date(2025, 7, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })

	rec := httptest.NewRecorder()
	s.Issue(rec, httptest.NewRequest("POST", "/test/signin", nil), &Principal{Subject: "clerk|1", Roles: []string{RoleRegistryClerk, RoleAuditor}})
	ck := cookieOf(t, rec, "vngov_test_session")
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Secure || ck.Path != "/test/" || ck.MaxAge != 3600 {
		t.Fatalf("cookie: %+v", ck)
	}

	r := httptest.NewRequest("GET", "/test/", nil)
	r.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
	p, err := s.Read(r)
	if err != nil || p.Subject != "clerk|1" || !p.Has(RoleRegistryClerk) || !p.Has(RoleAuditor) || p.Has(RoleCatalogAdmin) {
		t.Fatalf("read: %+v %v", p, err)
	}

	// Expired, tampered, foreign key, another cookie name, missing.
	now = now.Add(time.Hour)
	if _, err := s.Read(r); fault.As(err) == nil || fault.As(err).Code != "session.expired" {
		t.Errorf("expired: %v", err)
	}
	now = now.Add(-30 * time.Minute)
	other := NewRandomSessions("vngov_test_session", "/test/", time.Hour)
	same := NewSessions("vngov_other_session", "/test/", s.key, time.Hour)
	exp := now.Add(time.Hour)
	for name, v := range map[string]string{
		"garbage":      "garbage",
		"no signature": "YWRtaW58fDk5OTk5OTk5OTk",
		"bad base64":   "!!.!!",
		"tampered":     s.Encode(&Principal{Subject: "clerk"}, exp)[:10] + "x" + s.Encode(&Principal{Subject: "clerk"}, exp)[11:],
		"foreign key":  other.Encode(&Principal{Subject: "clerk", Roles: []string{RoleRegistryClerk}}, exp),
		"other cookie": same.Encode(&Principal{Subject: "clerk", Roles: []string{RoleRegistryClerk}}, exp),
	} {
		r := httptest.NewRequest("GET", "/test/", nil)
		r.AddCookie(&http.Cookie{Name: "vngov_test_session", Value: v})
		if p, err := s.Read(r); err == nil || !fault.Is(err, fault.Unauthenticated) {
			t.Errorf("%s: accepted %+v (%v)", name, p, err)
		}
	}
	if _, err := s.Read(httptest.NewRequest("GET", "/test/", nil)); !fault.Is(err, fault.Unauthenticated) {
		t.Errorf("no cookie: %v", err)
	}

	// No roles at all is a valid session with no roles.
	r = httptest.NewRequest("GET", "/test/", nil)
	r.AddCookie(&http.Cookie{Name: "vngov_test_session", Value: s.Encode(&Principal{Subject: "x", Roles: []string{"a|b", ""}}, exp)})
	if p, err := s.Read(r); err != nil || p.Subject != "x" || len(p.Roles) != 0 {
		t.Errorf("no roles: %+v %v", p, err)
	}

	rec = httptest.NewRecorder()
	s.Clear(rec, httptest.NewRequest("POST", "/test/signout", nil))
	if ck := cookieOf(t, rec, "vngov_test_session"); ck.MaxAge >= 0 || ck.Value != "" || ck.Path != "/test/" {
		t.Errorf("clear: %+v", ck)
	}
}

func TestSessionsSecure(t *testing.T) {
	s := NewRandomSessions("c", "/", time.Hour)
	tlsReq := httptest.NewRequest("POST", "https://example.vn/", nil)
	tlsReq.TLS = &tls.ConnectionState{}
	proxied := httptest.NewRequest("POST", "/", nil)
	proxied.Header.Set("X-Forwarded-Proto", "https")
	for _, tc := range []struct {
		r     *http.Request
		trust bool
		want  bool
	}{
		{httptest.NewRequest("POST", "/", nil), false, false},
		{tlsReq, false, true},
		{proxied, false, false},
		{proxied, true, true},
	} {
		s.TrustProxy = tc.trust
		rec := httptest.NewRecorder()
		s.Issue(rec, tc.r, &Principal{Subject: "x"})
		if got := cookieOf(t, rec, "c").Secure; got != tc.want {
			t.Errorf("TLS %v, proxy %q, trust %v: Secure %v", tc.r.TLS != nil, tc.r.Header.Get("X-Forwarded-Proto"), tc.trust, got)
		}
	}
}

func TestSignInWithToken(t *testing.T) {
	v := NewStaticToken("s3cret", "admin-token", RoleRegistryClerk)
	r := httptest.NewRequest("POST", "/registry/signin", nil)
	for _, tc := range []struct {
		token, role string
		want        Refusal
	}{
		{" s3cret\n", RoleRegistryClerk, Accepted},
		{"", RoleRegistryClerk, RefusedEmpty},
		{"   ", RoleRegistryClerk, RefusedEmpty},
		{"wrong", RoleRegistryClerk, RefusedInvalid},
		{"s3cret", RoleExchangeAdmin, RefusedRole},
		{"s3cret", "", Accepted}, // no role asked for: any valid token
		{"wrong", "", RefusedInvalid},
	} {
		p, got := SignInWithToken(context.Background(), v, r, tc.token, tc.role)
		if got != tc.want || (got == Accepted || got == RefusedRole) != (p != nil) {
			t.Errorf("%q for %s: %q %+v", tc.token, tc.role, got, p)
		}
	}
}

func TestRefusalField(t *testing.T) {
	if st, f := RefusedRole.Field("cán bộ quản lý cơ sở dữ liệu dân cư", "registry-clerk"); st != 403 || f.Field != "token" || f.Code != "token.role" ||
		f.Message != "Tài khoản không có quyền cán bộ quản lý cơ sở dữ liệu dân cư" || f.Detail != "This account lacks the registry-clerk role" {
		t.Errorf("role: %d %+v", st, f)
	}
	if st, f := RefusedEmpty.Field("", ""); st != 422 || f.Message != "Hãy nhập mã quản trị" {
		t.Errorf("empty: %d %+v", st, f)
	}
	if st, f := RefusedInvalid.Field("", ""); st != 422 || f.Code != "token.invalid" || f.Message != "Mã quản trị không đúng. Hãy kiểm tra và nhập lại." {
		t.Errorf("invalid: %d %+v", st, f)
	}
}

func TestSafeNext(t *testing.T) {
	const def = "/registry/"
	for in, want := range map[string]string{
		"":                              def,
		"/registry/persons/001?lang=en": "/registry/persons/001?lang=en",
		"/registry/?name=nguyen+van":    "/registry/?name=nguyen+van",
		"/registry/signin":              def,
		"/registry/signout":             def,
		"//evil.example/registry/":      def,
		"https://evil.example/registry": def,
		"/\\evil.example":               def,
		"/registry/../catalog/":         def,
		"/registry/./x":                 def,
		"/catalog/":                     def,
		"javascript:alert(1)":           def,
		"/registry/\r\nSet-Cookie: x":   def,
	} {
		if got := SafeNext(in, "/registry/", def, "/registry/signin", "/registry/signout"); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
