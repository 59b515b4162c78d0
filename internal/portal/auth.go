package portal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// OIDC is the portal's registration at the identity provider: a
// confidential client (client_secret_basic) whose redirect URI is
// BaseURL + "/dang-nhap/callback" and whose post-logout redirect URI is
// BaseURL + "/".
type OIDC struct {
	Issuer       string // the provider's issuer URL (discovery is read from it)
	ClientID     string
	ClientSecret string
	BaseURL      string // the portal's own address as browsers reach it, e.g. http://127.0.0.1:8080
}

// Scopes the portal asks for: the personal id (vn_personal_id) is what
// the dossier engine knows the applicant by; name, email and phone fill
// the contact fields of the e-form.
var Scopes = []string{gooidc.ScopeOpenID, "profile", "email", "phone", "vn_personal_id"}

// CallbackPath is where the provider sends the browser back.
const CallbackPath = "/dang-nhap/callback"

// Cookies.
const (
	sessionCookie = "vngov_portal_session"
	loginCookie   = "vngov_portal_login" // one sign-in in flight: state, nonce, PKCE verifier, where to go next
	sessionTTL    = time.Hour
	loginTTL      = 10 * time.Minute
)

// auth is the portal's relying party and its sessions.
type auth struct {
	cfg      OIDC
	sessions *authn.Sessions
	aead     cipher.AEAD
	rd       *web.Renderer
	http     *http.Client
	now      func() time.Time

	mu   sync.Mutex
	prov *providerInfo // discovered on first use: the provider may start after the portal
}

type providerInfo struct {
	oauth      oauth2.Config
	verifier   *gooidc.IDTokenVerifier
	endSession string
}

func newAuth(cfg OIDC, key []byte, rd *web.Renderer, trustProxy bool) (*auth, error) {
	if len(key) < 32 {
		return nil, errors.New("portal: the session key needs at least 32 bytes")
	}
	s := authn.NewSessions(sessionCookie, "/", key, sessionTTL)
	s.TrustProxy = trustProxy
	// The sign-in cookie is sealed with a key of its own, derived from
	// the session key.
	k := sha256.Sum256(append([]byte("vngov-portal-login-v1|"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	return &auth{cfg: cfg, sessions: s, aead: aead, rd: rd, http: &http.Client{Timeout: 15 * time.Second}, now: time.Now}, nil
}

var errSignInUnavailable = fault.New(fault.Unavailable, "portal.signin_unavailable",
	"Chưa kết nối được với hệ thống định danh và xác thực điện tử; vui lòng thử đăng nhập lại sau ít phút",
	"the identity provider cannot be reached")

// provider discovers the identity provider once, and again after a
// failure.
func (a *auth) provider(ctx context.Context) (*providerInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.prov != nil {
		return a.prov, nil
	}
	if a.cfg.Issuer == "" || a.cfg.ClientID == "" {
		return nil, errSignInUnavailable
	}
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, a.http), 10*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, a.cfg.Issuer)
	if err != nil {
		return nil, &fault.Error{Kind: fault.Unavailable, Code: errSignInUnavailable.Code, Message: errSignInUnavailable.Message, Detail: errSignInUnavailable.Detail, Cause: err}
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	p.Claims(&extra)
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic
	a.prov = &providerInfo{
		oauth: oauth2.Config{ClientID: a.cfg.ClientID, ClientSecret: a.cfg.ClientSecret, Endpoint: ep,
			RedirectURL: a.cfg.BaseURL + CallbackPath, Scopes: Scopes},
		verifier:   p.Verifier(&gooidc.Config{ClientID: a.cfg.ClientID}),
		endSession: extra.EndSession,
	}
	return a.prov, nil
}

// pending is a sign-in in flight, sealed in the login cookie.
type pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	ACR      string `json:"a"`
	Exp      int64  `json:"e"`
}

func (a *auth) seal(p pending) (string, error) {
	b, _ := json.Marshal(p)
	nonce := make([]byte, a.aead.NonceSize())
	rand.Read(nonce)
	out := a.aead.Seal(nonce, nonce, b, []byte(loginCookie))
	return base64.RawURLEncoding.EncodeToString(out), nil
}

func (a *auth) open(v string) (pending, bool) {
	var p pending
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < a.aead.NonceSize() {
		return p, false
	}
	b, err := a.aead.Open(nil, raw[:a.aead.NonceSize()], raw[a.aead.NonceSize():], []byte(loginCookie))
	if err != nil || json.Unmarshal(b, &p) != nil || a.now().Unix() > p.Exp {
		return p, false
	}
	return p, true
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *auth) secure(r *http.Request) bool {
	return r.TLS != nil || (a.sessions.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

// safeNext keeps a sign-in's destination on this site.
func safeNext(next string) string {
	return authn.SafeNext(next, "/", "/ho-so", "/dang-nhap", CallbackPath, "/dang-xuat")
}

// signinURL is where a page sends a person who must sign in at level.
func signinURL(next string, level int) string {
	q := url.Values{"next": {next}}
	if level >= 2 {
		q.Set("muc", "2")
	}
	return "/dang-nhap?" + q.Encode()
}

// signin starts the code flow: GET /dang-nhap?next=&muc=1|2.
func (a *auth) signin(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	prov, err := a.provider(r.Context())
	if err != nil {
		a.rd.RenderError(w, r, err)
		return
	}
	level := 1
	if r.URL.Query().Get("muc") == "2" {
		level = 2
	}
	p := pending{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(),
		Next: safeNext(r.URL.Query().Get("next")), ACR: acrOf(level), Exp: a.now().Add(loginTTL).Unix()}
	v, err := a.seal(p)
	if err != nil {
		a.rd.RenderError(w, r, err)
		return
	}
	// Lax, not Strict: the browser comes back from the provider's site.
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: v, Path: "/dang-nhap", MaxAge: int(loginTTL / time.Second),
		HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.Verifier), gooidc.Nonce(p.Nonce), oauth2.SetAuthURLParam("acr_values", p.ACR)}
	if lang := web.Lang(r); lang != web.LangVI {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", lang))
	}
	http.Redirect(w, r, prov.oauth.AuthCodeURL(p.State, opts...), http.StatusFound)
}

// claims are the ID token's claims the portal reads.
type claims struct {
	ACR        string `json:"acr"`
	Name       string `json:"name"`
	PersonalID string `json:"vn_personal_id"`
	Email      string `json:"email"`
	Phone      string `json:"phone_number"`
}

var errSignInFailed = fault.New(fault.Unauthenticated, "portal.signin_failed",
	"Đăng nhập không thành công hoặc đã quá thời gian; hãy đăng nhập lại", "the sign-in could not be completed")

// callback completes the code flow: state, code exchange with the PKCE
// verifier, ID token signature, audience, expiry and nonce, then the
// level asked for; it starts the session and goes where the person was
// going.
func (a *auth) callback(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	q := r.URL.Query()
	ck, err := r.Cookie(loginCookie)
	var p pending
	ok := err == nil
	if ok {
		p, ok = a.open(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: "", Path: "/dang-nhap", MaxAge: -1, HttpOnly: true, Secure: a.secure(r), SameSite: http.SameSiteLaxMode})
	if !ok || q.Get("state") == "" || q.Get("state") != p.State {
		a.rd.RenderError(w, r, errSignInFailed)
		return
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			a.rd.RenderError(w, r, fault.New(fault.Unauthenticated, "portal.signin_denied",
				"Bạn chưa đăng nhập vì đã không đồng ý cung cấp thông tin cho Cổng Dịch vụ công. Hãy đăng nhập lại nếu muốn nộp hoặc theo dõi hồ sơ.",
				"the person refused to share their information"))
			return
		}
		a.rd.RenderError(w, r, &fault.Error{Kind: fault.Unauthenticated, Code: errSignInFailed.Code, Message: errSignInFailed.Message, Detail: "the provider answered " + e})
		return
	}
	prov, err := a.provider(r.Context())
	if err != nil {
		a.rd.RenderError(w, r, err)
		return
	}
	ctx := gooidc.ClientContext(r.Context(), a.http)
	tok, err := prov.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		a.rd.RenderError(w, r, &fault.Error{Kind: fault.Unauthenticated, Code: errSignInFailed.Code, Message: errSignInFailed.Message, Detail: "code exchange failed", Cause: err})
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != p.Nonce {
		a.rd.RenderError(w, r, &fault.Error{Kind: fault.Unauthenticated, Code: errSignInFailed.Code, Message: errSignInFailed.Message, Detail: "the ID token is not valid", Cause: err})
		return
	}
	var c claims
	if err := idt.Claims(&c); err != nil || !personalIDRE.MatchString(c.PersonalID) {
		a.rd.RenderError(w, r, fault.New(fault.Forbidden, "portal.not_citizen",
			"Tài khoản này không có số định danh cá nhân: hãy đăng nhập bằng tài khoản công dân", "the account has no personal id"))
		return
	}
	if levelOf(c.ACR) < levelOf(p.ACR) {
		a.rd.RenderError(w, r, fault.New(fault.Forbidden, "portal.level_too_low",
			"Thủ tục này cần đăng nhập ở mức độ 2 (mật khẩu và mã xác thực một lần). Hãy bật xác thực hai lớp trong tài khoản định danh rồi đăng nhập lại.",
			"the sign-in did not reach the level asked for"))
		return
	}
	a.issue(w, r, Citizen{ID: c.PersonalID, Name: c.Name, ACR: c.ACR, Email: c.Email, Phone: c.Phone}, raw)
	http.Redirect(w, r, p.Next, http.StatusSeeOther)
}

// Session roles carry the attributes besides the subject (the personal
// id); values that may hold any character are base64url-encoded.
const (
	roleACR   = "acr:"
	roleName  = "name:"
	roleEmail = "email:"
	rolePhone = "phone:"
	roleIDT   = "idt:"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func dec(s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return ""
	}
	return string(b)
}

// principal is the session of c; idToken is kept for the sign-out at
// the provider (id_token_hint).
func principal(c Citizen, idToken string) *authn.Principal {
	roles := []string{roleACR + c.ACR, roleName + enc(c.Name)}
	if c.Email != "" {
		roles = append(roles, roleEmail+enc(c.Email))
	}
	if c.Phone != "" {
		roles = append(roles, rolePhone+enc(c.Phone))
	}
	if idToken != "" && len(idToken) < 2500 {
		roles = append(roles, roleIDT+idToken)
	}
	return &authn.Principal{Subject: c.ID, Roles: roles}
}

// issue starts a session of c.
func (a *auth) issue(w http.ResponseWriter, r *http.Request, c Citizen, idToken string) {
	a.sessions.Issue(w, r, principal(c, idToken))
}

// read returns the citizen of r's session and the ID token kept with it.
func (a *auth) read(r *http.Request) (Citizen, string, bool) {
	pr, err := a.sessions.Read(r)
	if err != nil || !personalIDRE.MatchString(pr.Subject) {
		return Citizen{}, "", false
	}
	c := Citizen{ID: pr.Subject}
	var idt string
	for _, role := range pr.Roles {
		switch {
		case strings.HasPrefix(role, roleACR):
			c.ACR = role[len(roleACR):]
		case strings.HasPrefix(role, roleName):
			c.Name = dec(role[len(roleName):])
		case strings.HasPrefix(role, roleEmail):
			c.Email = dec(role[len(roleEmail):])
		case strings.HasPrefix(role, rolePhone):
			c.Phone = dec(role[len(rolePhone):])
		case strings.HasPrefix(role, roleIDT):
			idt = role[len(roleIDT):]
		}
	}
	return c, idt, c.Level() > 0
}

// SetOIDC sets the portal's client at the identity provider, for a
// process that registers the client after the portal exists; call it
// before the portal serves.
func (p *Portal) SetOIDC(cfg OIDC) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	p.auth.mu.Lock()
	p.auth.cfg, p.auth.prov = cfg, nil
	p.auth.mu.Unlock()
}

// Nav is the portal's main navigation for r, for the pages of other
// components served on the portal.
func (p *Portal) Nav(r *http.Request) []web.Link {
	if c, ok := p.Citizen(r); ok {
		return nav(r, &c)
	}
	return nav(r, nil)
}

// Citizen returns the citizen signed in on r, for the pages of other
// components served on the portal (the wallet's).
func (p *Portal) Citizen(r *http.Request) (Citizen, bool) {
	c, _, ok := p.auth.read(r)
	return c, ok
}

// SignInURL is where a page of another component on the portal sends a
// person who must sign in (at level 1 or 2) to come back to next.
func (p *Portal) SignInURL(next string, level int) string { return signinURL(next, level) }

type signoutView struct {
	Who Citizen
}

// signoutPage asks before signing out (GET /dang-xuat).
func (a *auth) signoutPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	c, _, ok := a.read(r)
	if !ok {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	lang := web.Lang(r)
	a.rd.Render(w, r, http.StatusOK, "signout.html", &web.Page{Title: web.T(lang, "portal.signout.title"), Service: web.T(lang, "portal.service"), Nav: nav(r, &c), Data: signoutView{Who: c}})
}

// signout ends the portal's session, then the provider's (RP-initiated
// logout), which sends the browser back to the home page.
func (a *auth) signout(w http.ResponseWriter, r *http.Request) {
	_, idt, _ := a.read(r)
	a.sessions.Clear(w, r)
	target := "/"
	if prov, err := a.provider(r.Context()); err == nil && prov.endSession != "" {
		q := url.Values{"client_id": {a.cfg.ClientID}, "post_logout_redirect_uri": {a.cfg.BaseURL + "/"}}
		if idt != "" {
			q.Set("id_token_hint", idt)
		}
		target = prov.endSession + "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// citizen wraps a page that needs a signed-in citizen: without a session
// a page view is sent to sign in and brought back; a form post is
// refused (its data would be lost in the round trip).
func (p *Portal) citizen(next func(w http.ResponseWriter, r *http.Request, c Citizen)) http.HandlerFunc {
	return p.citizenAt(nil, next)
}

// filer is citizen for the filing's pages: a person who is not signed in
// signs in at once at the level the procedure needs.
func (p *Portal) filer(next func(w http.ResponseWriter, r *http.Request, c Citizen)) http.HandlerFunc {
	return p.citizenAt(func(r *http.Request) int {
		if pr, err := p.procedureFor(r); err == nil {
			return levelOf(pr.Assurance)
		}
		return 1
	}, next)
}

func (p *Portal) citizenAt(level func(r *http.Request) int, next func(w http.ResponseWriter, r *http.Request, c Citizen)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c, ok := p.Citizen(r)
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				l := 1
				if level != nil {
					l = level(r)
				}
				http.Redirect(w, r, signinURL(r.URL.RequestURI(), l), http.StatusSeeOther)
				return
			}
			p.rd.RenderError(w, r, fault.New(fault.Unauthenticated, "portal.signed_out",
				"Phiên đăng nhập đã kết thúc nên dữ liệu vừa gửi chưa được lưu. Hãy đăng nhập lại rồi thực hiện lại thao tác.",
				"no session: sign in and try again"))
			return
		}
		next(w, r, c)
	}
}

// stepUp sends a citizen whose session is below level to sign in again at
// level and come back; it reports whether it did.
func stepUp(w http.ResponseWriter, r *http.Request, c Citizen, level int) bool {
	if c.Level() >= level {
		return false
	}
	http.Redirect(w, r, signinURL(r.URL.RequestURI(), level), http.StatusSeeOther)
	return true
}

// csp lets the page's forms lead to the identity provider (sign-out) and
// the payment page: browsers apply form-action to the redirects that
// follow a form post.
func (p *Portal) csp(next http.HandlerFunc) http.Handler {
	sources := []string{"'self'"}
	for _, t := range p.FormTargets {
		if u, err := url.Parse(t); err == nil && u.Scheme != "" && u.Host != "" {
			o := u.Scheme + "://" + u.Host
			if !strings.ContainsAny(o, " ;'") {
				sources = append(sources, o)
			}
		}
	}
	policy := strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action "+strings.Join(sources, " "), 1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", policy)
		next(w, r)
	})
}
