package authn

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Sessions keeps people signed in to a component's pages after they typed
// an administrative token into its sign-in form: a cookie holding the
// subject, the roles and the expiry, signed with HMAC-SHA256.
//
// It is a stopgap. The identity provider will issue real sessions (and sign
// people in with their own accounts rather than a shared token); pages
// should depend on Read returning a Principal and nothing more, so that
// the switch touches only this file and the sign-in forms.
//
// Each page component holds one Sessions for the life of its process, so a
// sign-in is valid on every page under the cookie's Path, and nowhere else.
// With a random key (NewRandomSessions) sessions end when the process
// restarts and are not shared between nodes.
type Sessions struct {
	// Cookie is the cookie's name, e.g. "vngov_registry_session".
	Cookie string
	// Path limits the cookie to the component's pages, e.g. "/registry/".
	Path string
	// TTL is how long a session lasts from sign-in.
	TTL time.Duration
	// TrustProxy marks the cookie Secure when the proxy in front says the
	// request came over HTTPS (X-Forwarded-Proto); requests over TLS always
	// get a Secure cookie.
	TrustProxy bool

	key []byte
	now func() time.Time
}

// NewSessions returns sessions signed with key (at least 32 random bytes)
// in cookie, valid under path for ttl.
func NewSessions(cookie, path string, key []byte, ttl time.Duration) *Sessions {
	return &Sessions{Cookie: cookie, Path: path, TTL: ttl, key: append([]byte(nil), key...), now: time.Now}
}

// NewRandomSessions is NewSessions with a random key of this process.
func NewRandomSessions(cookie, path string, ttl time.Duration) *Sessions {
	key := make([]byte, 32)
	rand.Read(key) // never fails (crypto/rand)
	return NewSessions(cookie, path, key, ttl)
}

// SetClock replaces the clock sessions are issued and checked against (for
// tests).
func (s *Sessions) SetClock(now func() time.Time) { s.now = now }

func (s *Sessions) mac(payload string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("vngov-session-v1|"))
	m.Write([]byte(s.Cookie))
	m.Write([]byte{'|'})
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// Encode returns the cookie value of a session of p ending at exp:
// subject|role,role|expiry (Unix seconds), then its signature, each in
// base64url.
func (s *Sessions) Encode(p *Principal, exp time.Time) string {
	roles := make([]string, 0, len(p.Roles))
	for _, r := range p.Roles {
		// Roles are plain names; one that could break the format is dropped.
		if r != "" && !strings.ContainsAny(r, "|,") {
			roles = append(roles, r)
		}
	}
	payload := p.Subject + "|" + strings.Join(roles, ",") + "|" + strconv.FormatInt(exp.Unix(), 10)
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(s.mac(payload))
}

var (
	errNoSession      = fault.New(fault.Unauthenticated, "session.missing", "Bạn cần đăng nhập", "no session: sign in")
	errInvalidSession = fault.New(fault.Unauthenticated, "session.invalid", "Phiên đăng nhập không hợp lệ: hãy đăng nhập lại", "the session is not valid: sign in again")
	errExpiredSession = fault.New(fault.Unauthenticated, "session.expired", "Phiên đăng nhập đã hết hạn: hãy đăng nhập lại", "the session has expired: sign in again")
)

// Decode checks a cookie value's signature and expiry and returns its
// principal, or a fault of kind Unauthenticated.
func (s *Sessions) Decode(value string) (*Principal, error) {
	enc, sig, ok := strings.Cut(value, ".")
	if !ok {
		return nil, errInvalidSession
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(enc)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.mac(string(raw))) {
		return nil, errInvalidSession
	}
	payload := string(raw)
	i := strings.LastIndexByte(payload, '|')
	if i < 0 {
		return nil, errInvalidSession
	}
	exp, err := strconv.ParseInt(payload[i+1:], 10, 64)
	if err != nil {
		return nil, errInvalidSession
	}
	rest := payload[:i]
	j := strings.LastIndexByte(rest, '|')
	if j <= 0 {
		return nil, errInvalidSession
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return nil, errExpiredSession
	}
	p := &Principal{Subject: rest[:j]}
	if roles := rest[j+1:]; roles != "" {
		p.Roles = strings.Split(roles, ",")
	}
	return p, nil
}

// Read returns the principal of r's session, or a fault of kind
// Unauthenticated when there is none or it is not valid.
func (s *Sessions) Read(r *http.Request) (*Principal, error) {
	ck, err := r.Cookie(s.Cookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	return s.Decode(ck.Value)
}

// Issue starts a session of p on the response: an HttpOnly, SameSite=Strict
// cookie, Secure when r came over HTTPS.
func (s *Sessions) Issue(w http.ResponseWriter, r *http.Request, p *Principal) {
	exp := s.now().Add(s.TTL)
	s.set(w, r, s.Encode(p, exp), int(s.TTL/time.Second), exp)
}

// Clear ends the session on the response.
func (s *Sessions) Clear(w http.ResponseWriter, r *http.Request) {
	s.set(w, r, "", -1, time.Unix(1, 0))
}

func (s *Sessions) set(w http.ResponseWriter, r *http.Request, value string, maxAge int, exp time.Time) {
	http.SetCookie(w, &http.Cookie{Name: s.Cookie, Value: value, Path: s.Path, MaxAge: maxAge, Expires: exp,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
}

func (s *Sessions) secure(r *http.Request) bool {
	return r.TLS != nil || (s.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// Refusal is why a token typed into a sign-in form was refused; the zero
// value means it was accepted. The values are what the audit trail records.
type Refusal string

// Refusals of SignInWithToken.
const (
	Accepted       Refusal = ""
	RefusedEmpty   Refusal = "empty"   // nothing was typed
	RefusedInvalid Refusal = "invalid" // the verifier does not know the token
	RefusedRole    Refusal = "role"    // the token is valid but lacks the role
)

// SignInWithToken checks a token typed into a sign-in form with v, as if it
// had come as an Authorization: Bearer header, and requires role (none
// when role is empty: any valid token). The principal is returned with
// RefusedRole too, for the audit trail.
func SignInWithToken(ctx context.Context, v Verifier, r *http.Request, token, role string) (*Principal, Refusal) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, RefusedEmpty
	}
	vr, err := http.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	if err != nil {
		return nil, RefusedInvalid
	}
	vr.RemoteAddr = r.RemoteAddr
	vr.Header.Set("Authorization", "Bearer "+token)
	p, err := v.Verify(vr)
	if err != nil {
		return nil, RefusedInvalid
	}
	if role != "" && !p.Has(role) {
		return p, RefusedRole
	}
	return p, Accepted
}

// Field is what a sign-in form shows for a refusal, on the token field
// (Vietnamese message, English detail), with the HTTP status to answer:
// 403 for a valid token without the role (named by roleVI and roleEN),
// 422 otherwise.
func (r Refusal) Field(roleVI, roleEN string) (int, fault.FieldError) {
	f := fault.FieldError{Field: "token", Code: "token." + string(r),
		Message: "Mã quản trị không đúng. Hãy kiểm tra và nhập lại.", Detail: "The administration token is not valid. Check it and try again."}
	switch r {
	case RefusedEmpty:
		f.Message, f.Detail = "Hãy nhập mã quản trị", "Enter the administration token"
	case RefusedRole:
		f.Message, f.Detail = "Tài khoản không có quyền "+roleVI, "This account lacks the "+roleEN+" role"
		return http.StatusForbidden, f
	}
	return http.StatusUnprocessableEntity, f
}

// SafeNext returns next when it is a path on this site under prefix (such
// as "/registry/") and not one of except, otherwise fallback: where to go
// after signing in, without becoming an open redirect.
func SafeNext(next, prefix, fallback string, except ...string) string {
	if next == "" || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return fallback
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, prefix) {
		return fallback
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return fallback // "/registry/../catalog/" leaves the prefix
		}
	}
	for _, e := range except {
		if u.Path == e {
			return fallback
		}
	}
	return u.RequestURI()
}
