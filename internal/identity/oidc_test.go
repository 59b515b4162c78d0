package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/vngov/vngov/internal/identity/totp"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// relyingParty is a client application using real relying-party
// libraries: go-oidc for discovery and token verification, x/oauth2 for
// the code flow with PKCE.
type relyingParty struct {
	t        *testing.T
	provider *gooidc.Provider
	conf     oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

func newRelyingParty(t *testing.T, e *testEnv, scopes ...string) *relyingParty {
	t.Helper()
	p, err := gooidc.NewProvider(context.Background(), e.url)
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	ep := p.Endpoint()
	ep.AuthStyle = oauth2.AuthStyleInParams // a public client: client_id in the body, no secret
	return &relyingParty{t: t, provider: p, verifier: p.Verifier(&gooidc.Config{ClientID: DemoPublicClient}),
		conf: oauth2.Config{ClientID: DemoPublicClient, Endpoint: ep, RedirectURL: DemoPublicRedirect, Scopes: scopes}}
}

// authorize starts a code flow with PKCE in the browser; it returns the
// browser's page (or the redirect to the client), the PKCE verifier,
// the state and the nonce.
func (rp *relyingParty) authorize(b *browser, params ...oauth2.AuthCodeOption) (*http.Response, string, string, string, string) {
	verifier, state, nonce := oauth2.GenerateVerifier(), newToken(12), newToken(12)
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), gooidc.Nonce(nonce)}, params...)
	resp, page := b.get(rp.conf.AuthCodeURL(state, opts...))
	return resp, page, verifier, state, nonce
}

// callback reads the code the provider sent to the client's redirect URI.
func (rp *relyingParty) callback(resp *http.Response, state string) url.Values {
	rp.t.Helper()
	if resp.StatusCode != http.StatusFound {
		rp.t.Fatalf("expected a redirect to the client, got %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), DemoPublicRedirect) {
		rp.t.Fatalf("redirect to %q, not to the client's redirect URI", resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("state") != state {
		rp.t.Fatalf("state %q, want %q", q.Get("state"), state)
	}
	return q
}

type idClaims struct {
	ACR        string         `json:"acr"`
	AMR        []string       `json:"amr"`
	Name       string         `json:"name"`
	Birthdate  string         `json:"birthdate"`
	PersonalID string         `json:"vn_personal_id"`
	Address    map[string]any `json:"address"`
	Email      string         `json:"email"`
}

func (e *testEnv) introspect(tok, hint string) map[string]any {
	e.t.Helper()
	form := url.Values{"token": {tok}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	req, _ := http.NewRequest("POST", e.url+PathIntrospect, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(DemoConfidentialClient, e.confidentialSecret())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		e.t.Fatalf("introspection answered %d", resp.StatusCode)
	}
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return out
}

func postForm(t *testing.T, u string, form url.Values, set func(*http.Request)) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if set != nil {
		set(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// TestCodeFlow runs the whole code flow with PKCE as a relying party
// does, against the provider on a test server: the real sign-in form, the
// second factor for a level-2 request, consent, the code exchange, the ID
// token checked with go-oidc, userinfo, introspection, revocation,
// refresh with rotation and reuse detection, and RP-initiated logout.
func TestCodeFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		minh := e.demo.Citizens[0]
		acc, err := e.s.AccountByUsername(ctx, minh.PersonalID)
		if err != nil {
			t.Fatal(err)
		}
		rp := newRelyingParty(t, e, gooidc.ScopeOpenID, "profile", "email", "address", ScopePersonalID, gooidc.ScopeOfflineAccess)
		b := e.browser()

		// A level-2 request: password, then the TOTP code.
		_, page, verifier, state, nonce := rp.authorize(b, oauth2.SetAuthURLParam("acr_values", ACRLevel2))
		if !strings.Contains(page, `action="/login"`) || !strings.Contains(page, "Đăng nhập") {
			t.Fatalf("no sign-in form:\n%s", page)
		}
		if !strings.Contains(page, "xác thực mức 2") {
			t.Error("the sign-in page does not say the service needs level 2")
		}
		_, page = b.submit(page, "/login", map[string]string{"username": minh.PersonalID, "password": "not-the-password-1"})
		if got := byID(page, "signin-error"); !strings.Contains(got, "không đúng") {
			t.Fatalf("wrong password: message %q", got)
		}
		_, page = b.submit(page, "/login", map[string]string{"username": minh.PersonalID, "password": minh.Password})
		if !strings.Contains(page, `action="/login/otp"`) {
			t.Fatalf("no second-factor step after the password:\n%s", page)
		}
		_, page = b.submit(page, "/login/otp", map[string]string{"code": "000000"})
		if byID(page, "otp-error") == "" {
			t.Fatalf("a wrong code was not refused:\n%s", page)
		}
		code, _ := totp.Code(minh.TOTPSecret, time.Now())
		_, page = b.submit(page, "/login/otp", map[string]string{"code": code})

		// Consent: the attributes, the service and its purpose.
		if !strings.Contains(page, `action="/login/consent"`) {
			t.Fatalf("no consent page:\n%s", page)
		}
		for _, want := range []string{"Ứng dụng mẫu Dịch vụ công (demo)", "Nhận biết bạn khi nộp", "Số định danh cá nhân", "Họ và tên, ngày sinh, giới tính", "Nơi thường trú"} {
			if !strings.Contains(page, want) {
				t.Errorf("the consent page does not show %q", want)
			}
		}
		resp, _ := b.submit(page, "/login/consent", map[string]string{"decision": "allow"})
		q := rp.callback(resp, state)

		// The code exchange with the PKCE verifier.
		tok, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("code exchange: %v", err)
		}
		if tok.RefreshToken == "" {
			t.Fatal("no refresh token for offline_access")
		}

		raw, _ := tok.Extra("id_token").(string)
		idt, err := rp.verifier.Verify(ctx, raw)
		if err != nil {
			t.Fatalf("ID token: %v", err)
		}
		var c idClaims
		if err := idt.Claims(&c); err != nil {
			t.Fatal(err)
		}
		if idt.Issuer != e.url || !slices.Contains(idt.Audience, DemoPublicClient) || idt.Nonce != nonce {
			t.Errorf("ID token: iss %q aud %v nonce %q", idt.Issuer, idt.Audience, idt.Nonce)
		}
		if c.ACR != ACRLevel2 || !slices.Contains(c.AMR, "pwd") || !slices.Contains(c.AMR, "otp") {
			t.Errorf("ID token: acr %q amr %v, want level 2 with pwd and otp", c.ACR, c.AMR)
		}
		if idt.Subject == acc.ID || idt.Subject == minh.PersonalID || idt.Subject != e.s.pairwise("127.0.0.1", acc.ID) {
			t.Errorf("sub %q is not the pairwise subject", idt.Subject)
		}
		if c.PersonalID != minh.PersonalID || c.Name != "Nguyễn Văn Minh" || c.Birthdate != "1989-05-12" || c.Address["commune_code"] != "00004" {
			t.Errorf("ID token claims: %+v", c)
		}

		// Userinfo.
		ui, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			t.Fatalf("userinfo: %v", err)
		}
		var uc idClaims
		ui.Claims(&uc)
		if ui.Subject != idt.Subject || uc.PersonalID != minh.PersonalID || ui.Email != "minh.nguyen@example.vn" || !ui.EmailVerified {
			t.Errorf("userinfo: %+v %+v", ui, uc)
		}

		// Introspection: active, with the level; inactive once revoked.
		in := e.introspect(tok.AccessToken, "")
		if in["active"] != true || in["acr"] != ACRLevel2 || in["client_id"] != DemoPublicClient || !strings.Contains(in["scope"].(string), ScopePersonalID) {
			t.Fatalf("introspection of a fresh token: %v", in)
		}
		if in := e.introspect(tok.RefreshToken, "refresh_token"); in["active"] != false {
			t.Errorf("a refresh token of another client is active to the introspecting client: %v", in)
		}
		st, _ := postForm(t, e.url+PathRevoke, url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}, "client_id": {DemoPublicClient}}, nil)
		if st != 200 {
			t.Fatalf("revocation answered %d", st)
		}
		if in := e.introspect(tok.AccessToken, ""); in["active"] != false {
			t.Fatalf("introspection after revocation: %v", in)
		}
		if _, err := rp.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
			t.Error("userinfo accepted a revoked access token")
		}

		// Refresh: rotation, then the old refresh token comes back and the
		// whole family is revoked.
		tok2, err := rp.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		if tok2.RefreshToken == "" || tok2.RefreshToken == tok.RefreshToken {
			t.Fatal("the refresh token was not rotated")
		}
		raw2, _ := tok2.Extra("id_token").(string)
		idt2, err := rp.verifier.Verify(ctx, raw2)
		if err != nil || idt2.Subject != idt.Subject {
			t.Fatalf("ID token after refresh: %v", err)
		}
		var c2 idClaims
		idt2.Claims(&c2)
		if c2.ACR != ACRLevel2 || !slices.Contains(c2.AMR, "otp") {
			t.Errorf("ID token after refresh: acr %q amr %v", c2.ACR, c2.AMR)
		}
		if in := e.introspect(tok2.AccessToken, ""); in["active"] != true {
			t.Fatalf("the refreshed access token is not active: %v", in)
		}
		if _, err := rp.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err == nil {
			t.Fatal("a used refresh token was accepted again")
		}
		if _, err := rp.conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken}).Token(); err == nil {
			t.Fatal("the family of a reused refresh token was not revoked")
		}
		if in := e.introspect(tok2.AccessToken, ""); in["active"] != false {
			t.Fatalf("an access token of a revoked family is active: %v", in)
		}
		if n := countAudit(t, e, "identity.refresh.reuse"); n == 0 {
			t.Error("the refresh token reuse was not audited")
		}

		// Single sign-on: a second request is answered from the session
		// (level 2, consent given) without a page; replaying its code
		// revokes what the first exchange gave.
		resp, _, verifier, state, _ = rp.authorize(b, oauth2.SetAuthURLParam("acr_values", ACRLevel2))
		q = rp.callback(resp, state)
		if _, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(oauth2.GenerateVerifier())); err == nil {
			t.Fatal("a code was exchanged with the wrong PKCE verifier")
		}
		tok3, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("second exchange: %v", err)
		}
		if _, err := rp.conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier)); err == nil {
			t.Fatal("a code was exchanged twice")
		}
		if in := e.introspect(tok3.AccessToken, ""); in["active"] != false {
			t.Fatalf("tokens of a replayed code stay active: %v", in)
		}

		// response_mode=form_post: a page that posts the code to the client,
		// allowed by its own content security policy.
		resp, page, verifier, state, _ = rp.authorize(b, oauth2.SetAuthURLParam("response_mode", "form_post"))
		if resp.StatusCode != 200 || !strings.Contains(page, `action="`+DemoPublicRedirect+`"`) || !strings.Contains(page, `value="`+state+`"`) ||
			!strings.Contains(resp.Header.Get("Content-Security-Policy"), "form-action http://127.0.0.1:8765") {
			t.Fatalf("form_post: %d %q\n%s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page)
		}
		fpCode := regexp.MustCompile(`name="code" value="([^"]+)"`).FindStringSubmatch(page)
		if fpCode == nil {
			t.Fatal("form_post without a code")
		}
		if _, err := rp.conf.Exchange(ctx, fpCode[1], oauth2.VerifierOption(verifier)); err != nil {
			t.Fatalf("form_post code exchange: %v", err)
		}

		// RP-initiated logout with an id_token_hint ends the session.
		resp, _ = b.get(e.url + PathEndSession + "?" + url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {"http://127.0.0.1:8765/"}, "state": {"bye"}}.Encode())
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "http://127.0.0.1:8765/") || !strings.Contains(loc, "state=bye") {
			t.Fatalf("end session: %d %q", resp.StatusCode, loc)
		}
		resp, _, _, state, _ = rp.authorize(b, oauth2.SetAuthURLParam("prompt", "none"))
		if q := rp.callback(resp, state); q.Get("error") != "login_required" {
			t.Fatalf("after logout, prompt=none gave %v", q)
		}
	})
}

// TestStepUpAndConsentRefusal signs in at level 1, then a level-2 request
// of the same browser asks only for the second factor; refusing consent
// sends access_denied to the client.
func TestStepUpAndConsentRefusal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		minh := e.demo.Citizens[0]
		rp := newRelyingParty(t, e, gooidc.ScopeOpenID, "profile")
		b := e.browser()
		_, page, _, state, _ := rp.authorize(b)
		_, page = b.submit(page, "/login", map[string]string{"username": minh.PersonalID, "password": minh.Password})
		if !strings.Contains(page, `action="/login/consent"`) {
			t.Fatalf("a level-1 request asked for more than the password:\n%s", page)
		}
		resp, _ := b.submit(page, "/login/consent", map[string]string{"decision": "deny"})
		if q := rp.callback(resp, state); q.Get("error") != "access_denied" {
			t.Fatalf("refused consent gave %v", q)
		}
		// Step-up: the session is at level 1; a level-2 request asks for
		// the code only.
		_, page, _, _, _ = rp.authorize(b, oauth2.SetAuthURLParam("acr_values", ACRLevel2))
		if !strings.Contains(page, `action="/login/otp"`) {
			t.Fatalf("no step-up to the second factor:\n%s", page)
		}
		// A citizen without a second factor is told what to set up.
		lan := e.demo.Citizens[1]
		b2 := e.browser()
		_, page, _, _, _ = rp.authorize(b2, oauth2.SetAuthURLParam("acr_values", ACRLevel2))
		_, page = b2.submit(page, "/login", map[string]string{"username": lan.PersonalID, "password": lan.Password})
		if !strings.Contains(page, "Dịch vụ yêu cầu xác thực mức 2") || !strings.Contains(page, "/account/totp?next=") {
			t.Fatalf("no set-up page for a level-2 request of a level-1 account:\n%s", page)
		}
		// Set up TOTP from there: it brings her back, at level 2.
		resp, page = b2.get(e.url + "/account/totp?next=" + url.QueryEscape("/account"))
		sec := byID(page, "totp-secret")
		if resp.StatusCode != 200 || sec == "" {
			t.Fatalf("TOTP set-up page: %d\n%s", resp.StatusCode, page)
		}
		secret := strings.ReplaceAll(sec, " ", "")
		code, _ := totp.Code(secret, time.Now())
		_, page = b2.submit(page, "/account/totp", map[string]string{"code": code})
		if !strings.Contains(page, "Đã bật xác thực hai lớp") {
			t.Fatalf("TOTP set-up not confirmed:\n%s", page)
		}
		acc, _ := e.s.AccountByUsername(context.Background(), lan.PersonalID)
		if acc.MaxLevel() != 2 {
			t.Fatalf("after set-up the account reaches level %d", acc.MaxLevel())
		}
		// A request that needs a consent and prompt=none gets consent_required.
		resp, _, _, state, _ = rp.authorize(b2, oauth2.SetAuthURLParam("prompt", "none"))
		if q := rp.callback(resp, state); q.Get("error") != "consent_required" {
			t.Fatalf("prompt=none without consent gave %v", q)
		}
		// Logout without an id_token_hint asks the person first.
		_, page = b2.get(e.url + PathEndSession + "?" + url.Values{"client_id": {DemoPublicClient}, "post_logout_redirect_uri": {"http://127.0.0.1:8765/"}}.Encode())
		if !strings.Contains(page, "đề nghị kết thúc phiên đăng nhập") {
			t.Fatalf("no logout confirmation:\n%s", page)
		}
		if _, err := e.s.SessionByToken(context.Background(), cookieOf(b2, e)); err != nil {
			t.Fatal("the session ended before the person confirmed")
		}
		resp, _ = b2.submit(page, "/logout", nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "http://127.0.0.1:8765/" {
			t.Fatalf("confirmed logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if _, page = b2.get(e.url + "/account"); !strings.Contains(page, `action="/login"`) {
			t.Fatal("still signed in after the confirmed logout")
		}
	})
}

// TestRequestPolicies checks what the authorization endpoint refuses.
func TestRequestPolicies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		b := e.browser()
		base := url.Values{"client_id": {DemoPublicClient}, "response_type": {"code"}, "scope": {"openid profile"}, "redirect_uri": {DemoPublicRedirect},
			"state": {"s1"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}}
		try := func(change func(v url.Values)) *http.Response {
			v := url.Values{}
			for k, vs := range base {
				v[k] = vs
			}
			change(v)
			resp, _ := b.get(e.url + PathAuthorize + "?" + v.Encode())
			return resp
		}
		// Another port on the loopback address is another redirect URI.
		if resp := try(func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1:9999/callback") }); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("an unregistered redirect URI: %d", resp.StatusCode)
		}
		for name, change := range map[string]func(v url.Values){
			"no PKCE":      func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") },
			"plain PKCE":   func(v url.Values) { v.Set("code_challenge_method", "plain") },
			"no openid":    func(v url.Values) { v.Set("scope", "profile") },
			"implicit":     func(v url.Values) { v.Set("response_type", "id_token") },
			"unknown mode": func(v url.Values) { v.Set("response_mode", "fragment") },
		} {
			resp := try(change)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			var params url.Values
			if loc != nil {
				params = loc.Query()
				if loc.Fragment != "" { // implicit and fragment modes answer in the fragment
					params, _ = url.ParseQuery(loc.Fragment)
				}
			}
			if resp.StatusCode != http.StatusFound || params.Get("error") == "" || !strings.HasPrefix(loc.String(), DemoPublicRedirect) {
				t.Errorf("%s: %d %q, want an error sent to the client", name, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		// A scope the client is not registered for is dropped.
		resp := try(func(v url.Values) { v.Set("scope", "openid vn_unknown") })
		if resp.StatusCode != http.StatusOK {
			t.Errorf("an extra scope: %d", resp.StatusCode)
		}
		// The platform's cross-origin protection guards the sign-in form.
		req, _ := http.NewRequest("POST", e.url+"/login", strings.NewReader("username=a&password=b"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if resp, _ := b.do(req); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site sign-in post: %d", resp.StatusCode)
		}
	})
}

// TestDiscoveryAndKeys checks the discovery document and the JWKS through
// a key rotation: the old key stays published while its tokens live.
func TestDiscoveryAndKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		var d map[string]any
		resp, err := http.Get(e.url + PathDiscovery)
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&d)
		resp.Body.Close()
		for k, want := range map[string]string{"issuer": e.url, "token_endpoint": e.url + PathToken, "introspection_endpoint": e.url + PathIntrospect,
			"revocation_endpoint": e.url + PathRevoke, "end_session_endpoint": e.url + PathEndSession, "jwks_uri": e.url + PathKeys} {
			if d[k] != want {
				t.Errorf("discovery %s = %v, want %s", k, d[k], want)
			}
		}
		for k, want := range map[string]string{"acr_values_supported": ACRLevel2, "subject_types_supported": "pairwise", "code_challenge_methods_supported": "S256",
			"token_endpoint_auth_methods_supported": "private_key_jwt", "grant_types_supported": "client_credentials"} {
			if l, _ := d[k].([]any); !slices.Contains(l, any(want)) {
				t.Errorf("discovery %s = %v, lacks %s", k, d[k], want)
			}
		}
		if l, _ := d["grant_types_supported"].([]any); slices.Contains(l, any("implicit")) {
			t.Error("discovery offers the implicit grant")
		}

		ctx := context.Background()
		rp := newRelyingParty(t, e, "openid")
		sec := e.confidentialSecret()
		cc := clientcredentials.Config{ClientID: DemoConfidentialClient, ClientSecret: sec, TokenURL: e.url + PathToken, Scopes: []string{"vngov.api"}, AuthStyle: oauth2.AuthStyleInHeader}
		before, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		kids := func() []string {
			keys, _ := e.s.KeySet(ctx)
			var out []string
			for _, k := range keys {
				out = append(out, k.ID())
			}
			return out
		}
		old, _ := e.s.SigningKey(ctx)
		kid, err := e.s.RotateKeys(ctx, audit.Actor{Subject: "test"}, false)
		if err != nil {
			t.Fatal(err)
		}
		// Published at once, signing only later.
		if now, _ := e.s.SigningKey(ctx); now.ID() != old.ID() {
			t.Fatal("a new key signs before its publication period")
		}
		if got := kids(); !slices.Contains(got, kid) {
			t.Fatalf("the next key is not published ahead: %v", got)
		}
		later := time.Now().Add(KeyPublishAhead + time.Second)
		e.s.SetClock(func() time.Time { return later })
		if now, _ := e.s.SigningKey(ctx); now.ID() != kid {
			t.Fatal("the new key does not sign after its publication period")
		}
		after, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		v := rp.provider.Verifier(&gooidc.Config{ClientID: DemoConfidentialClient})
		for _, tk := range []*oauth2.Token{before, after} {
			if _, err := v.Verify(ctx, tk.AccessToken); err != nil {
				t.Fatalf("a token signed before or after the rotation does not verify: %v", err)
			}
		}
		if got := kids(); !slices.Contains(got, kid) || !slices.Contains(got, old.ID()) {
			t.Fatalf("JWKS after rotation: %v, want %s and %s", got, kid, old.ID())
		}
		// Once the old key's tokens have expired, it is no longer published.
		e.s.SetClock(func() time.Time { return later.Add(e.s.keyKeep() + time.Minute) })
		if got := kids(); slices.Contains(got, old.ID()) || !slices.Contains(got, kid) {
			t.Fatalf("JWKS long after rotation: %v", got)
		}
	})
}

// TestClientCredentials gets tokens with client_secret_basic and with
// private_key_jwt (a key the client registered), and refuses a replayed
// assertion.
func TestClientCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		ctx := context.Background()
		rp := newRelyingParty(t, e, "openid")

		cc := clientcredentials.Config{ClientID: DemoConfidentialClient, ClientSecret: e.confidentialSecret(), TokenURL: e.url + PathToken,
			Scopes: []string{"vngov.api"}, AuthStyle: oauth2.AuthStyleInHeader}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatalf("client_secret_basic: %v", err)
		}
		at, err := rp.provider.Verifier(&gooidc.Config{ClientID: DemoConfidentialClient}).Verify(ctx, tok.AccessToken)
		if err != nil {
			t.Fatalf("the access token does not verify: %v", err)
		}
		var claims struct {
			Scope string `json:"scope"`
		}
		at.Claims(&claims)
		if at.Subject != DemoConfidentialClient || claims.Scope != "vngov.api" {
			t.Errorf("client_credentials token: sub %q scope %q", at.Subject, claims.Scope)
		}
		if in := e.introspect(tok.AccessToken, ""); in["active"] != true || in["client_id"] != DemoConfidentialClient {
			t.Errorf("introspection of a client_credentials token: %v", in)
		}
		bad := cc
		bad.ClientSecret = "wrong"
		if _, err := bad.Token(ctx); err == nil {
			t.Fatal("a wrong client secret was accepted")
		}
		person := cc
		person.Scopes = []string{"profile"}
		if _, err := person.Token(ctx); err == nil {
			t.Fatal("client_credentials gave a person's scope")
		}

		// private_key_jwt.
		key, _ := rsa.GenerateKey(rand.Reader, 2048)
		pub := jose.JSONWebKey{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}
		jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{pub}})
		if _, _, err := e.s.CreateClient(ctx, audit.Actor{Subject: "test"}, Client{ID: "rs-jwt", Name: "Hệ thống thử", Purpose: "Thử nghiệm",
			Type: Confidential, AuthMethod: AuthPrivateKeyJWT, JWKS: jwks, GrantTypes: []string{GrantClientCredentials}, Scopes: []string{"vngov.api"}}); err != nil {
			t.Fatal(err)
		}
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, (&jose.SignerOptions{}).WithType("JWT"))
		assertion := func(aud string) string {
			now := time.Now()
			payload, _ := json.Marshal(map[string]any{"iss": "rs-jwt", "sub": "rs-jwt", "aud": aud, "jti": newToken(12), "iat": now.Unix(), "exp": now.Add(time.Minute).Unix()})
			sig, _ := signer.Sign(payload)
			s, _ := sig.CompactSerialize()
			return s
		}
		form := func(a string) url.Values {
			return url.Values{"grant_type": {"client_credentials"}, "scope": {"vngov.api"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}}
		}
		a1 := assertion(e.url)
		st, out := postForm(t, e.url+PathToken, form(a1), nil)
		if st != 200 || out["access_token"] == nil {
			t.Fatalf("private_key_jwt: %d %v", st, out)
		}
		if st, out := postForm(t, e.url+PathToken, form(a1), nil); st != http.StatusUnauthorized || out["error"] != "invalid_client" {
			t.Fatalf("a replayed assertion: %d %v", st, out)
		}
		if st, out := postForm(t, e.url+PathToken, form(assertion(e.url+PathToken)), nil); st != 200 {
			t.Fatalf("an assertion for the token endpoint: %d %v", st, out)
		}
		// A resource server introspects with its assertion.
		in := url.Values{"token": {out["access_token"].(string)}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertion(e.url)}}
		if st, res := postForm(t, e.url+PathIntrospect, in, nil); st != 200 || res["active"] != true || res["client_id"] != "rs-jwt" {
			t.Fatalf("introspection with private_key_jwt: %d %v", st, res)
		}
		// The JWT bearer grant is not offered.
		if st, res := postForm(t, e.url+PathToken, url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion(e.url)}}, nil); st != 400 || res["error"] != "unsupported_grant_type" {
			t.Fatalf("jwt-bearer grant: %d %v", st, res)
		}
	})
}

func cookieOf(b *browser, e *testEnv) string {
	u, _ := url.Parse(e.url)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

func countAudit(t *testing.T, e *testEnv, action string) int {
	t.Helper()
	entries, err := audit.List(context.Background(), e.db, audit.Query{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}
