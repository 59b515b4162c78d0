package identity

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rs/cors"
	httphelper "github.com/zitadel/oidc/v3/pkg/http"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/web"
)

// The provider's endpoints, as zitadel/oidc names them, relative to the
// issuer.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathAuthorize  = "/authorize"
	PathCallback   = "/authorize/callback"
	PathToken      = "/oauth/token"
	PathIntrospect = "/oauth/introspect"
	PathUserinfo   = "/userinfo"
	PathRevoke     = "/revoke"
	PathEndSession = "/end_session"
	PathKeys       = "/keys"
)

// CrossOriginBypass are the ServeMux patterns the identity server must
// exempt from the platform's cross-origin protection:
// k.Handler("identity", mux, identity.CrossOriginBypass...). They are the
// protocol endpoints that other sites legitimately POST to from a browser
// and that use no cookie-based authority of their own:
//
//   - POST /authorize: an authorization request sent as a form (OIDC Core
//     3.1.2.1 allows POST); it only starts a sign-in on this site.
//   - POST /end_session: RP-initiated logout posted from the client's
//     site; without an id_token_hint for the browser's session it only
//     asks the person to confirm on this site.
//   - POST /oauth/token, /revoke, /userinfo, /oauth/introspect: called by
//     browser-based clients (fetch, CORS) with client credentials, PKCE
//     verifiers or bearer tokens in the request itself, never cookies.
//
// The sign-in, consent, account and sign-up forms stay protected.
var CrossOriginBypass = []string{
	"POST " + PathAuthorize,
	"POST " + PathEndSession,
	"POST " + PathToken,
	"POST " + PathRevoke,
	"POST " + PathUserinfo,
	"POST " + PathIntrospect,
}

// SupportedClaims are the claims the provider can release.
var SupportedClaims = []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "acr", "amr", "at_hash", "c_hash", "azp",
	"name", "family_name", "middle_name", "given_name", "birthdate", "gender", "locale", "updated_at", "preferred_username",
	"email", "email_verified", "phone_number", "phone_number_verified", "address", "vn_personal_id", "enterprises", "agency", "roles"}

var viTag = language.Vietnamese

// Provider is the OpenID provider over a Service: zitadel/oidc's op with
// this package's storage, policies and pages.
type Provider struct {
	s      *Service
	p      *opProvider
	issuer string
	cors   *cors.Cors
	pages  *Pages
}

// opProvider is op's provider with two policies of its own: strict
// authorization-request checks (exact redirect URIs, allowed scopes only,
// PKCE S256 for public clients) and client assertions accepted with the
// issuer or the endpoint's URL as audience.
type opProvider struct {
	*op.Provider
	s *Service
}

// NewProvider returns the provider for issuer (e.g. https://id.dichvucong.gov.vn,
// or http://127.0.0.1:8090 in a demo). s must be initialised.
func NewProvider(s *Service, issuer string) (*Provider, error) {
	issuer = strings.TrimRight(issuer, "/")
	cfg := &op.Config{
		CryptoKey:                s.sealKey,
		DefaultLogoutRedirectURI: "/logout/done",
		CodeMethodS256:           true,
		AuthMethodPost:           false,
		AuthMethodPrivateKeyJWT:  true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.Vietnamese, language.English},
		SupportedClaims:          SupportedClaims,
		SupportedScopes:          KnownScopes,
	}
	var opts []op.Option
	if strings.HasPrefix(issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	p, err := op.NewProvider(cfg, s, op.StaticIssuer(issuer), opts...)
	if err != nil {
		return nil, err
	}
	s.Issuer = issuer
	pr := &Provider{s: s, p: &opProvider{Provider: p, s: s}, issuer: issuer,
		cors: cors.New(cors.Options{AllowOriginFunc: func(string) bool { return true }, AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Authorization", "Content-Type", "Accept"}, MaxAge: 600})}
	return pr, nil
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// Routes mounts the protocol endpoints.
func (p *Provider) Routes(mux *http.ServeMux) {
	issuer := op.NewIssuerInterceptor(p.p.IssuerFromRequest)
	h := func(pattern string, f http.HandlerFunc, withCORS bool) {
		var handler http.Handler = issuer.Handler(withActor(f))
		if withCORS {
			handler = p.cors.Handler(handler)
		}
		mux.Handle(pattern, handler)
	}
	h("GET "+PathDiscovery, p.discovery, true)
	h("GET "+PathKeys, p.keys, true)
	h(PathAuthorize, func(w http.ResponseWriter, r *http.Request) { op.Authorize(w, r, p.p) }, false)
	h("GET "+PathCallback, p.callback, false)
	h(PathToken, p.token, true)
	h(PathIntrospect, p.introspect, false)
	h(PathUserinfo, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		op.Userinfo(w, r, p.p)
	}, true)
	h(PathRevoke, p.revoke, true)
	h(PathEndSession, p.endSession, false)
}

// ---------------------------------------------------------------- request context

type ctxKey int

const (
	actorKey ctxKey = iota
	audienceKey
	logoutKey
)

// withActor records who calls (address, request id) for the storage's
// audit rows, which op calls with a context only.
func withActor(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		a := audit.Actor{SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
		next(w, r.WithContext(context.WithValue(r.Context(), actorKey, a)))
	}
}

// actorOf returns the caller recorded by withActor, as subject.
func actorOf(ctx context.Context, subject string) audit.Actor {
	a, _ := ctx.Value(actorKey).(audit.Actor)
	a.Subject = subject
	if a.RequestID == "" {
		a.RequestID = web.RequestID(ctx)
	}
	return a
}

// ---------------------------------------------------------------- op policies

// ValidateAuthRequest implements op.AuthorizeValidator.
func (o *opProvider) ValidateAuthRequest(ctx context.Context, req *oidc.AuthRequest, _ op.Storage, verifier *op.IDTokenHintVerifier) (string, error) {
	c, err := o.s.activeClient(ctx, req.ClientID)
	if err != nil {
		return "", oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client_id").WithParent(err)
	}
	// Exact match, also for loopback addresses (op would let a native
	// client's loopback redirect use any port).
	if !slices.Contains(c.RedirectURIs, req.RedirectURI) {
		return "", oidc.ErrInvalidRequestRedirectURI().WithDescription("the redirect_uri is not registered for this client (exact match required)")
	}
	if !c.HasGrant(GrantCode) {
		return "", oidc.ErrUnauthorizedClient().WithDescription("this client may not use the authorization code flow")
	}
	if req.ResponseType != oidc.ResponseTypeCode {
		return "", oidc.ErrUnauthorizedClient().WithDescription("only response_type=code is supported")
	}
	if req.ResponseMode != "" && req.ResponseMode != oidc.ResponseModeQuery && req.ResponseMode != oidc.ResponseModeFormPost {
		return "", oidc.ErrInvalidRequest().WithDescription("response_mode must be query or form_post")
	}
	client := &opClient{c: c, idToken: o.s.Life.IDToken}
	sub, err := op.ValidateAuthRequestClient(ctx, req, client, verifier)
	if err != nil {
		return "", err
	}
	// Only the scopes the client is registered for (op keeps the standard
	// ones in any case); offline_access only with the refresh grant.
	req.Scopes = slices.DeleteFunc(req.Scopes, func(sc string) bool {
		return !personScope(sc) || !c.Allows(sc) || (sc == oidc.ScopeOfflineAccess && !c.HasGrant(GrantRefresh))
	})
	if !slices.Contains(req.Scopes, oidc.ScopeOpenID) {
		return "", oidc.ErrInvalidScope().WithDescription("the scope must include openid")
	}
	if c.Type == Public && req.CodeChallenge == "" {
		return "", oidc.ErrInvalidRequest().WithDescription("PKCE is required for public clients: send code_challenge with code_challenge_method=S256")
	}
	if req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return "", oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	}
	return sub, nil
}

// JWTProfileVerifier verifies client assertions (private_key_jwt). The
// audience is the one checkAssertion accepted for this request: the
// issuer, or the URL of the endpoint the assertion was sent to.
func (o *opProvider) JWTProfileVerifier(ctx context.Context) *op.JWTProfileVerifier {
	aud, _ := ctx.Value(audienceKey).(string)
	if aud == "" {
		aud = op.IssuerFromContext(ctx)
	}
	return op.NewJWTProfileVerifier(o.s, aud, time.Hour, 5*time.Second)
}

// checkAssertion verifies a client assertion fully (signature with the
// client's registered key, iss = sub = client, audience, expiry, age) and
// remembers its jti until it expires, so none is accepted twice. It
// returns the client and a context for op's own checks.
func (p *Provider) checkAssertion(r *http.Request, endpoint string) (string, context.Context, error) {
	ctx := r.Context()
	assertion := r.PostForm.Get("client_assertion")
	if r.PostForm.Get("client_assertion_type") != oidc.ClientAssertionTypeJWTAssertion || assertion == "" {
		return "", ctx, errors.New("client_assertion_type must be " + oidc.ClientAssertionTypeJWTAssertion)
	}
	var claims oidc.JWTTokenRequest
	if _, err := oidc.ParseToken(assertion, &claims); err != nil {
		return "", ctx, err
	}
	issuer := op.IssuerFromContext(ctx)
	aud := ""
	for _, want := range []string{issuer, issuer + endpoint} {
		if slices.Contains(claims.Audience, want) {
			aud = want
			break
		}
	}
	if aud == "" {
		return "", ctx, errors.New("the assertion's audience must be the issuer or the endpoint's URL")
	}
	ctx = context.WithValue(ctx, audienceKey, aud)
	req, err := op.VerifyJWTAssertion(ctx, assertion, p.p.JWTProfileVerifier(ctx))
	if err != nil {
		p.s.clientAuthFailed(ctx, claims.Issuer, "client assertion: "+err.Error())
		return "", ctx, err
	}
	if req.JWTID == "" {
		return "", ctx, errors.New("the assertion has no jti")
	}
	exp := req.ExpiresAt.AsTime()
	if exp.Sub(p.s.now()) > time.Hour {
		return "", ctx, errors.New("the assertion must expire within an hour")
	}
	res, err := p.s.db.Exec(ctx, "INSERT INTO id_assertion (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", req.Issuer+"|"+req.JWTID, ms(exp.Add(time.Minute)))
	if err != nil {
		return "", ctx, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		p.s.clientAuthFailed(ctx, req.Issuer, "client assertion replayed")
		return "", ctx, errors.New("the assertion was used already")
	}
	return req.Issuer, ctx, nil
}

// ---------------------------------------------------------------- endpoints

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	cfg := op.CreateDiscoveryConfig(r.Context(), p.p, p.s)
	cfg.DeviceAuthorizationEndpoint, cfg.CheckSessionIframe = "", ""
	cfg.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	cfg.ResponseModesSupported = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFormPost)}
	cfg.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials}
	cfg.SubjectTypesSupported = []string{"pairwise"}
	cfg.ACRValuesSupported = []string{ACRLevel1, ACRLevel2}
	cfg.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT, oidc.AuthMethodNone}
	cfg.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT}
	cfg.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPrivateKeyJWT, oidc.AuthMethodNone}
	cfg.ClaimsParameterSupported = false
	w.Header().Set("Cache-Control", "public, max-age=300")
	op.Discover(w, cfg)
}

func (p *Provider) keys(w http.ResponseWriter, r *http.Request) {
	// Short enough that a rotation reaches relying parties well within
	// the time the retired key stays published.
	w.Header().Set("Cache-Control", "public, max-age=300")
	op.Keys(w, r, p.s)
}

// token serves the token endpoint: op does the work, after client
// assertions are checked here (with replay protection) and grants this
// provider does not offer are refused; client_credentials with
// private_key_jwt, which op does not handle, is completed here with op's
// own token builder.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	if r.Method != http.MethodPost {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("use POST"), nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("cannot parse the form"), nil)
		return
	}
	gt := r.PostForm.Get("grant_type")
	switch gt {
	case string(oidc.GrantTypeCode), string(oidc.GrantTypeRefreshToken), string(oidc.GrantTypeClientCredentials):
	case "":
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("grant_type missing"), nil)
		return
	default:
		op.RequestError(w, r, oidc.ErrUnsupportedGrantType().WithDescription("grant_type %s is not supported", gt), nil)
		return
	}
	if r.PostForm.Get("client_assertion") != "" || r.PostForm.Get("client_assertion_type") != "" {
		clientID, ctx, err := p.checkAssertion(r, PathToken)
		if err != nil {
			op.RequestError(w, r, oidc.ErrInvalidClient().WithDescription("client assertion refused: %s", err.Error()), nil)
			return
		}
		r = r.WithContext(ctx)
		if gt == string(oidc.GrantTypeClientCredentials) {
			p.clientCredentialsJWT(w, r, clientID)
			return
		}
	}
	op.Exchange(w, r, p.p)
}

func (p *Provider) clientCredentialsJWT(w http.ResponseWriter, r *http.Request, clientID string) {
	ctx := r.Context()
	c, err := p.s.activeClient(ctx, clientID)
	if err != nil || c.AuthMethod != AuthPrivateKeyJWT {
		op.RequestError(w, r, oidc.ErrInvalidClient(), nil)
		return
	}
	if !c.HasGrant(GrantClientCredentials) {
		op.RequestError(w, r, oidc.ErrUnauthorizedClient().WithDescription("this client may not use client_credentials"), nil)
		return
	}
	tr, err := p.s.ClientCredentialsTokenRequest(ctx, clientID, strings.Fields(r.PostForm.Get("scope")))
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	resp, err := op.CreateClientCredentialsTokenResponse(ctx, tr, p.p, &opClient{c: c, idToken: p.s.Life.IDToken})
	if err != nil {
		op.RequestError(w, r, err, nil)
		return
	}
	httphelper.MarshalJSON(w, resp)
}

func (p *Provider) revoke(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		op.RevocationRequestError(w, r, oidc.ErrInvalidRequest().WithDescription("cannot parse the form"))
		return
	}
	if r.PostForm.Get("client_assertion") != "" {
		_, ctx, err := p.checkAssertion(r, PathRevoke)
		if err != nil {
			op.RevocationRequestError(w, r, oidc.ErrInvalidClient().WithDescription("client assertion refused: %s", err.Error()))
			return
		}
		r = r.WithContext(ctx)
	}
	op.Revoke(w, r, p.p)
}

// introspect is the introspection endpoint (RFC 7662) for confidential
// clients (resource servers). It answers for JWT access tokens (checked
// against the revocation table and their grant) and for refresh tokens
// (to the client they were issued to only).
func (p *Provider) introspect(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("use POST"), nil)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		op.RequestError(w, r, oidc.ErrInvalidRequest().WithDescription("cannot parse the form"), nil)
		return
	}
	if r.PostForm.Get("client_assertion") != "" {
		_, ctx, err := p.checkAssertion(r, PathIntrospect)
		if err != nil {
			op.RequestError(w, r, oidc.ErrInvalidClient().WithDescription("client assertion refused: %s", err.Error()), nil)
			return
		}
		r = r.WithContext(ctx)
	}
	ctx := r.Context()
	clientID, authenticated, err := op.ClientIDFromRequest(r, p.p)
	if err != nil || !authenticated {
		op.RequestError(w, r, oidc.ErrInvalidClient().WithDescription("introspection needs client authentication"), nil)
		return
	}
	tok := r.PostForm.Get("token")
	resp := new(oidc.IntrospectionResponse)
	if r.PostForm.Get("token_type_hint") != "refresh_token" || !p.introspectRefresh(ctx, resp, tok, clientID) {
		if !p.introspectAccess(ctx, resp, tok) {
			p.introspectRefresh(ctx, resp, tok, clientID)
		}
	}
	httphelper.MarshalJSON(w, resp)
}

func (p *Provider) introspectAccess(ctx context.Context, resp *oidc.IntrospectionResponse, tok string) bool {
	claims, err := op.VerifyAccessToken[*oidc.AccessTokenClaims](ctx, tok, p.p.AccessTokenVerifier(ctx))
	if err != nil {
		return false
	}
	g, ok := p.s.activeToken(ctx, claims.JWTID)
	if !ok {
		return true // a token of ours, no longer active: {"active": false}
	}
	resp.Active = true
	resp.TokenType = oidc.BearerToken
	resp.ClientID, resp.Subject, resp.Audience, resp.Issuer, resp.JWTID = claims.ClientID, claims.Subject, claims.Audience, claims.Issuer, claims.JWTID
	resp.Expiration, resp.IssuedAt, resp.NotBefore = claims.Expiration, claims.IssuedAt, claims.NotBefore
	if sc, ok := claims.Claims["scope"].(string); ok {
		resp.Scope = strings.Fields(sc)
	}
	if g != nil {
		resp.AuthTime = oidc.FromTime(g.AuthTime)
		resp.AuthenticationMethodsReferences = g.AMR
		resp.Claims = map[string]any{"acr": g.ACR}
		for _, k := range []string{"agency", "roles"} {
			if v, ok := claims.Claims[k]; ok {
				resp.Claims[k] = v
			}
		}
	}
	return true
}

func (p *Provider) introspectRefresh(ctx context.Context, resp *oidc.IntrospectionResponse, tok, clientID string) bool {
	var grantID, scopes string
	var created, expires, used int64
	err := p.s.db.QueryRow(ctx, "SELECT grant_id, scopes, created_at, expires_at, used_at FROM id_refresh_token WHERE id = ?", hashToken(tok)).
		Scan(&grantID, &scopes, &created, &expires, &used)
	if err != nil {
		return false
	}
	g, err := p.s.grant(ctx, p.s.db, grantID)
	if err != nil || g.ClientID != clientID {
		return true
	}
	now := p.s.now()
	if used != 0 || !g.live(now) || now.UnixMilli() >= expires {
		return true
	}
	resp.Active = true
	resp.TokenType = "refresh_token"
	resp.ClientID, resp.Subject, resp.Scope, resp.Issuer = g.ClientID, g.Subject, parseList(scopes), p.issuer
	resp.IssuedAt, resp.Expiration, resp.AuthTime = oidc.FromTime(fromMS(created)), oidc.FromTime(fromMS(expires)), oidc.FromTime(g.AuthTime)
	return true
}

// callback ends the sign-in: it issues the authorization code, only to the
// browser that signed in (the session cookie must be the request's), so
// that a leaked request id gives nobody a code.
func (p *Provider) callback(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	a, err := p.s.authRequest(ctx, p.s.db, r.URL.Query().Get("id"))
	if err != nil {
		p.pages.renderGone(w, r)
		return
	}
	ss, serr := p.pages.session(r)
	if !a.IsDone || serr != nil || ss.ID != a.SessionID {
		http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(a.ID), http.StatusSeeOther)
		return
	}
	if a.GetResponseMode() == oidc.ResponseModeFormPost {
		resp, err := op.BuildAuthResponseCodeResponsePayload(ctx, a, p.p)
		if err != nil {
			op.AuthRequestError(w, r, a, err, p.p)
			return
		}
		formPost(w, a.GetRedirectURI(), resp)
		return
	}
	op.AuthorizeCallback(w, r, p.p)
}

// formPost answers with the form_post response: a page that posts the
// code to the client, by itself (a script whose hash the page's policy
// allows) or with a button.
func formPost(w http.ResponseWriter, redirectURI string, resp *op.CodeResponseType) {
	var buf bytes.Buffer
	formPostPage.Execute(&buf, map[string]string{"URI": redirectURI, "Code": resp.Code, "State": resp.State})
	origin := redirectURI
	if u, err := url.Parse(redirectURI); err == nil {
		origin = u.Scheme + "://" + u.Host
	}
	sum := sha256.Sum256([]byte(formPostScript))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'; form-action "+origin+"; frame-ancestors 'none'; base-uri 'none'")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

const formPostScript = `document.forms[0].submit();`

var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đang chuyển về dịch vụ…</title></head>
<body><form method="post" action="{{.URI}}">
<input type="hidden" name="code" value="{{.Code}}">{{with .State}}<input type="hidden" name="state" value="{{.}}">{{end}}
<p>Đăng nhập thành công. Nếu trang không tự chuyển, hãy bấm nút dưới đây.</p>
<button type="submit">Tiếp tục</button>
</form><script>` + formPostScript + `</script></body></html>`))

// logoutState carries the browser's session cookie into op's end-session
// handling, and back whether it ended.
type logoutState struct {
	cookie string
	ended  bool
}

func logoutStateOf(ctx context.Context) *logoutState {
	st, _ := ctx.Value(logoutKey).(*logoutState)
	return st
}

func (p *Provider) endSession(w http.ResponseWriter, r *http.Request) {
	st := &logoutState{}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		st.cookie = ck.Value
	}
	w.Header().Set("Cache-Control", "no-store")
	hw := &headerHook{ResponseWriter: w, before: func() {
		if st.ended {
			p.pages.clearSession(w, r)
		}
	}}
	op.EndSession(hw, r.WithContext(context.WithValue(r.Context(), logoutKey, st)), p.p)
}

// headerHook runs before once, just before the headers are written.
type headerHook struct {
	http.ResponseWriter
	before func()
	done   bool
}

func (h *headerHook) WriteHeader(code int) {
	if !h.done {
		h.done = true
		h.before()
	}
	h.ResponseWriter.WriteHeader(code)
}

func (h *headerHook) Write(b []byte) (int, error) {
	if !h.done {
		h.WriteHeader(http.StatusOK)
	}
	return h.ResponseWriter.Write(b)
}
