// Package oidcrp is a relying party of an OpenID Connect provider for a
// component's pages: the authorization code flow with PKCE (S256), state
// and nonce, a confidential client (client_secret_basic), the ID token
// checked (signature, issuer, audience, expiry, nonce) and the userinfo
// claims read with the access token. It returns who signed in; the
// component keeps its own session.
//
// A sign-in in flight (state, nonce, PKCE verifier, where to go next) is
// sealed (AES-GCM) in a short-lived cookie, so that nothing is kept on
// the server and any node can complete the flow.
package oidcrp

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

	"github.com/vngov/vngov/internal/platform/fault"
)

// Config is a client's registration at the provider and where its flow
// lives on the component's site.
type Config struct {
	Issuer       string // the provider's issuer URL (discovery is read from it)
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback as registered, e.g.
	// http://127.0.0.1:8081/motcua/signin/callback.
	RedirectURL string
	// PostLogoutRedirectURL is where the provider sends the browser after
	// an RP-initiated logout (registered with the client); empty: no
	// logout at the provider.
	PostLogoutRedirectURL string
	Scopes                []string // "openid" is added when missing
	ACR                   string   // acr_values asked for; empty: none
	// Cookie is the name of the cookie holding a sign-in in flight; it is
	// limited to the callback's path.
	Cookie string
	// TrustProxy marks the cookie Secure when X-Forwarded-Proto says https.
	TrustProxy bool
	// HTTP is the client for discovery, token and userinfo requests;
	// nil: one with a 15-second timeout.
	HTTP *http.Client
}

// Identity is who signed in: the ID token's claims completed by the
// userinfo endpoint's.
type Identity struct {
	Subject  string
	Name     string // name
	Username string // preferred_username
	ACR      string
	IDToken  string         // the raw ID token (id_token_hint for the logout)
	Claims   map[string]any // every claim, userinfo over ID token
}

// String returns a string claim, or "".
func (id *Identity) String(name string) string {
	s, _ := id.Claims[name].(string)
	return s
}

// Strings returns a claim that is a list of strings (or one string).
func (id *Identity) Strings(name string) []string {
	switch v := id.Claims[name].(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// Client is one relying party. It discovers the provider on first use
// (the provider may start after the component) and again after a failure.
type Client struct {
	cfg  Config
	aead cipher.AEAD
	path string // the cookie's path: the callback's
	now  func() time.Time

	mu   sync.Mutex
	prov *provider
}

type provider struct {
	p          *gooidc.Provider
	oauth      oauth2.Config
	verifier   *gooidc.IDTokenVerifier
	endSession string
}

// pendingTTL is how long a sign-in may stay at the provider.
const pendingTTL = 10 * time.Minute

// New returns a client of cfg; key (at least 32 bytes) seals the sign-in
// cookie, nil: a random key of this process.
func New(cfg Config, key []byte) (*Client, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" || cfg.Cookie == "" {
		return nil, errors.New("oidcrp: issuer, client id, redirect URL and cookie are required")
	}
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil || ru.Path == "" {
		return nil, errors.New("oidcrp: the redirect URL is not valid")
	}
	if key == nil {
		key = make([]byte, 32)
		rand.Read(key)
	}
	if len(key) < 32 {
		return nil, errors.New("oidcrp: the key needs at least 32 bytes")
	}
	k := sha256.Sum256(append([]byte("vngov-oidcrp-v1|"+cfg.Cookie+"|"), key...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	hasOpenID := false
	for _, s := range cfg.Scopes {
		hasOpenID = hasOpenID || s == gooidc.ScopeOpenID
	}
	if !hasOpenID {
		cfg.Scopes = append([]string{gooidc.ScopeOpenID}, cfg.Scopes...)
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 15 * time.Second}
	}
	return &Client{cfg: cfg, aead: aead, path: ru.Path, now: time.Now}, nil
}

// Issuer is the provider's issuer URL.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// Errors, with the Vietnamese message the person reads.
var (
	ErrUnavailable = fault.New(fault.Unavailable, "oidc.unavailable",
		"Chưa kết nối được với hệ thống định danh và xác thực điện tử; vui lòng thử đăng nhập lại sau ít phút",
		"the identity provider cannot be reached")
	ErrFailed = fault.New(fault.Unauthenticated, "oidc.signin_failed",
		"Đăng nhập không thành công hoặc đã quá thời gian; hãy đăng nhập lại", "the sign-in could not be completed")
	ErrDenied = fault.New(fault.Unauthenticated, "oidc.signin_denied",
		"Bạn chưa đăng nhập vì đã không đồng ý cung cấp thông tin; hãy đăng nhập lại nếu muốn tiếp tục", "the person refused to share their information")
)

func wrap(base *fault.Error, detail string, cause error) error {
	return &fault.Error{Kind: base.Kind, Code: base.Code, Message: base.Message, Detail: detail, Cause: cause}
}

func (c *Client) provider(ctx context.Context) (*provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.prov != nil {
		return c.prov, nil
	}
	ctx, cancel := context.WithTimeout(gooidc.ClientContext(ctx, c.cfg.HTTP), 10*time.Second)
	defer cancel()
	p, err := gooidc.NewProvider(ctx, c.cfg.Issuer)
	if err != nil {
		return nil, wrap(ErrUnavailable, ErrUnavailable.Detail, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	p.Claims(&extra)
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInHeader // client_secret_basic
	c.prov = &provider{
		p: p,
		oauth: oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: ep,
			RedirectURL: c.cfg.RedirectURL, Scopes: c.cfg.Scopes},
		verifier:   p.Verifier(&gooidc.Config{ClientID: c.cfg.ClientID}),
		endSession: extra.EndSession,
	}
	return c.prov, nil
}

// pending is a sign-in in flight.
type pending struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x"`
	Exp      int64  `json:"e"`
}

func (c *Client) seal(p pending) string {
	b, _ := json.Marshal(p)
	nonce := make([]byte, c.aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, b, []byte(c.cfg.Cookie)))
}

func (c *Client) open(v string) (pending, bool) {
	var p pending
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < c.aead.NonceSize() {
		return p, false
	}
	b, err := c.aead.Open(nil, raw[:c.aead.NonceSize()], raw[c.aead.NonceSize():], []byte(c.cfg.Cookie))
	if err != nil || json.Unmarshal(b, &p) != nil || c.now().Unix() > p.Exp {
		return p, false
	}
	return p, true
}

func randomToken() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (c *Client) secure(r *http.Request) bool {
	return r.TLS != nil || (c.cfg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

func (c *Client) setCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	// Lax, not Strict: the browser comes back from the provider's site.
	http.SetCookie(w, &http.Cookie{Name: c.cfg.Cookie, Value: value, Path: c.path, MaxAge: maxAge,
		HttpOnly: true, Secure: c.secure(r), SameSite: http.SameSiteLaxMode})
}

// Begin starts a sign-in that comes back to next (a path the caller has
// made safe): it sets the sign-in cookie and redirects to the provider.
// uiLocale is passed as ui_locales when not empty.
func (c *Client) Begin(w http.ResponseWriter, r *http.Request, next, uiLocale string) error {
	prov, err := c.provider(r.Context())
	if err != nil {
		return err
	}
	p := pending{State: randomToken(), Nonce: randomToken(), Verifier: oauth2.GenerateVerifier(), Next: next, Exp: c.now().Add(pendingTTL).Unix()}
	c.setCookie(w, r, c.seal(p), int(pendingTTL/time.Second))
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(p.Verifier), gooidc.Nonce(p.Nonce)}
	if c.cfg.ACR != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", c.cfg.ACR))
	}
	if uiLocale != "" {
		opts = append(opts, oauth2.SetAuthURLParam("ui_locales", uiLocale))
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, prov.oauth.AuthCodeURL(p.State, opts...), http.StatusFound)
	return nil
}

// Complete finishes the sign-in at the callback: the state against the
// cookie's, the code exchanged with the PKCE verifier, the ID token
// verified (with the nonce), then the userinfo claims of the same
// subject. It clears the sign-in cookie and returns who signed in and the
// next given to Begin.
func (c *Client) Complete(w http.ResponseWriter, r *http.Request) (*Identity, string, error) {
	q := r.URL.Query()
	ck, err := r.Cookie(c.cfg.Cookie)
	var p pending
	ok := err == nil
	if ok {
		p, ok = c.open(ck.Value)
	}
	c.setCookie(w, r, "", -1)
	if !ok || q.Get("state") == "" || q.Get("state") != p.State {
		return nil, "", wrap(ErrFailed, "the state does not match the sign-in in flight", nil)
	}
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			return nil, "", ErrDenied
		}
		return nil, "", wrap(ErrFailed, "the provider answered "+e, nil)
	}
	prov, err := c.provider(r.Context())
	if err != nil {
		return nil, "", err
	}
	ctx := gooidc.ClientContext(r.Context(), c.cfg.HTTP)
	tok, err := prov.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.Verifier))
	if err != nil {
		return nil, "", wrap(ErrFailed, "code exchange failed", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := prov.verifier.Verify(ctx, raw)
	if err != nil || idt.Nonce != p.Nonce {
		return nil, "", wrap(ErrFailed, "the ID token is not valid", err)
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, "", wrap(ErrFailed, "the ID token's claims cannot be read", err)
	}
	if prov.p.UserInfoEndpoint() != "" {
		ui, err := prov.p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return nil, "", wrap(ErrFailed, "the userinfo cannot be read", err)
		}
		if ui.Subject != idt.Subject {
			return nil, "", wrap(ErrFailed, "the userinfo is of another subject", nil)
		}
		more := map[string]any{}
		if err := ui.Claims(&more); err != nil {
			return nil, "", wrap(ErrFailed, "the userinfo's claims cannot be read", err)
		}
		for k, v := range more {
			claims[k] = v
		}
	}
	id := &Identity{Subject: idt.Subject, IDToken: raw, Claims: claims}
	id.Name, id.Username, id.ACR = id.String("name"), id.String("preferred_username"), id.String("acr")
	return id, p.Next, nil
}

// LogoutURL is where to send the browser to end the session at the
// provider too (RP-initiated logout), or "" when the provider or the
// client has none.
func (c *Client) LogoutURL(ctx context.Context, idTokenHint string) string {
	if c.cfg.PostLogoutRedirectURL == "" {
		return ""
	}
	prov, err := c.provider(ctx)
	if err != nil || prov.endSession == "" {
		return ""
	}
	q := url.Values{"client_id": {c.cfg.ClientID}, "post_logout_redirect_uri": {c.cfg.PostLogoutRedirectURL}}
	if idTokenHint != "" {
		q.Set("id_token_hint", idTokenHint)
	}
	return prov.endSession + "?" + q.Encode()
}

// Origin is the scheme and host of the issuer, for a Content-Security-
// Policy's form-action: browsers apply form-action to the redirects that
// follow a form post (the sign-out's to the provider).
func (c *Client) Origin() string {
	u, err := url.Parse(c.cfg.Issuer)
	if err != nil || u.Scheme == "" || u.Host == "" || strings.ContainsAny(u.Host, " ;'") {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
