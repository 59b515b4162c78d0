package identity

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var pageTemplates embed.FS

// sessionCookie holds the provider's browser session. It is HttpOnly,
// SameSite=Lax (a client's redirect to /authorize is a cross-site
// navigation that must carry it, or single sign-on would not work; no
// state-changing request is a GET), and Secure whenever the issuer or the
// request is HTTPS.
const sessionCookie = "vngov_id_session"

// Pages are the provider's own pages, in Vietnamese (English on request):
// sign-in, second factor, consent, sign-up, forgotten password, and the
// account page. Forms post to this site only; the platform's
// cross-origin protection (kernel.Handler) guards them against forgery.
type Pages struct {
	s          *Service
	p          *Provider
	rd         *web.Renderer
	TrustProxy bool
}

// NewPages parses the page templates.
func NewPages(s *Service, p *Provider) (*Pages, error) {
	rd, err := web.NewRendererFuncs(pageTemplates, template.FuncMap{
		"vnday":     displayDay,
		"scopeName": func(lang, sc string) string { return web.T(lang, "identity.scope."+sc) },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				k, _ := kv[i].(string)
				m[k] = kv[i+1]
			}
			return m
		},
	}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("identity: pages: %w", err)
	}
	pg := &Pages{s: s, p: p, rd: rd}
	if p != nil {
		p.pages = pg
	}
	return pg, nil
}

// Routes mounts the pages.
func (pg *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", pg.loginForm)
	mux.HandleFunc("POST /login", pg.login)
	mux.HandleFunc("GET /login/otp", pg.otpForm)
	mux.HandleFunc("POST /login/otp", pg.otp)
	mux.HandleFunc("GET /login/consent", pg.consentForm)
	mux.HandleFunc("POST /login/consent", pg.consent)
	mux.HandleFunc("GET /signup", pg.signupForm)
	mux.HandleFunc("POST /signup", pg.signup)
	mux.HandleFunc("GET /forgot", pg.forgotForm)
	mux.HandleFunc("POST /forgot", pg.forgot)
	mux.HandleFunc("GET /forgot/reset", pg.resetForm)
	mux.HandleFunc("POST /forgot/reset", pg.reset)
	mux.HandleFunc("GET /account", pg.signedIn(pg.account))
	mux.HandleFunc("GET /account/totp", pg.signedIn(pg.totpForm))
	mux.HandleFunc("POST /account/totp", pg.signedIn(pg.totpConfirm))
	mux.HandleFunc("POST /account/contact/send", pg.signedIn(pg.contactSend))
	mux.HandleFunc("POST /account/contact/verify", pg.signedIn(pg.contactVerify))
	mux.HandleFunc("POST /account/password", pg.signedIn(pg.changePassword))
	mux.HandleFunc("POST /account/sessions/end", pg.signedIn(pg.endSession))
	mux.HandleFunc("POST /account/consents/withdraw", pg.signedIn(pg.withdraw))
	mux.HandleFunc("GET /logout", pg.logoutForm)
	mux.HandleFunc("POST /logout", pg.logout)
	mux.HandleFunc("GET /logout/done", pg.logoutDone)
	mux.HandleFunc("GET /identity/{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/account", http.StatusFound) })
}

// ---------------------------------------------------------------- plumbing

func (pg *Pages) page(r *http.Request, title string, data any) *web.Page {
	lang := web.Lang(r)
	return &web.Page{Title: title, Service: web.T(lang, "identity.service"), Data: data}
}

func (pg *Pages) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data any) {
	w.Header().Set("Cache-Control", "no-store")
	var id string
	switch v := data.(type) {
	case signinView:
		id = v.AuthRequestID
	case otpView:
		id = v.AuthRequestID
	case consentView:
		id = v.AuthRequestID
	case signupView:
		id = v.AuthRequestID
	}
	if id != "" {
		pg.allowClientTarget(w, r, id)
	}
	pg.rd.Render(w, r, status, name, pg.page(r, web.T(web.Lang(r), titleKey), data))
}

func who(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

func msg(lang, vi, en string) string {
	if lang == web.LangEN && en != "" {
		return en
	}
	return vi
}

// faultText is a fault's message in the page's language.
func faultText(r *http.Request, err error) string {
	if f := fault.As(err); f != nil && f.Kind != fault.Internal {
		return msg(web.Lang(r), f.Message, f.Detail)
	}
	return web.T(web.Lang(r), "error.internal.message")
}

func (pg *Pages) parse(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 32<<10)
	if err := r.ParseForm(); err != nil {
		pg.rd.RenderError(w, r, fault.New(fault.BadRequest, "identity.form", "Không đọc được biểu mẫu đã gửi", "the form could not be read"))
		return false
	}
	return true
}

func (pg *Pages) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(pg.s.Issuer, "https://") ||
		(pg.TrustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https"))
}

func (pg *Pages) setSession(w http.ResponseWriter, r *http.Request, tok string, exp time.Time) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", Expires: exp, MaxAge: int(time.Until(exp) / time.Second),
		HttpOnly: true, Secure: pg.secure(r), SameSite: http.SameSiteLaxMode})
}

func (pg *Pages) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: pg.secure(r), SameSite: http.SameSiteLaxMode})
}

// session returns the browser's live session.
func (pg *Pages) session(r *http.Request) (Session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return Session{}, errNoSession
	}
	return pg.s.SessionByToken(r.Context(), ck.Value)
}

// signedIn wraps an account page: without a session, sign in first.
func (pg *Pages) signedIn(next func(w http.ResponseWriter, r *http.Request, ss Session, a Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		ss, err := pg.session(r)
		var a Account
		if err == nil {
			a, err = pg.s.Account(r.Context(), ss.AccountID)
		}
		if err != nil || a.Status != Active {
			if r.Method != http.MethodGet {
				pg.rd.RenderError(w, r, fault.New(fault.Unauthenticated, "identity.signin_required", "Phiên đăng nhập đã hết: hãy đăng nhập lại rồi thực hiện lại thao tác.", "sign in again"))
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		pg.s.touch(r.Context(), ss.ID)
		next(w, r, ss, a)
	}
}

// safeNext keeps a destination on this site.
func safeNext(next string) string {
	return authn.SafeNext(next, "/", "/account", "/logout", "/logout/done")
}

// renderGone answers for an authorization request that expired or does
// not exist.
func (pg *Pages) renderGone(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	pg.rd.RenderError(w, r, fault.New(fault.NotFound, "identity.auth_request_gone",
		"Yêu cầu đăng nhập đã hết hạn hoặc đã được dùng. Hãy quay lại dịch vụ bạn đang sử dụng và bấm đăng nhập lại.",
		"the sign-in request has expired or was used: go back to the service and sign in again"))
}

// request loads an authorization request and its client for a page.
func (pg *Pages) request(w http.ResponseWriter, r *http.Request, id string) (*authRequest, Client, bool) {
	a, err := pg.s.authRequest(r.Context(), pg.s.db, id)
	if err != nil || a.IsDone {
		pg.renderGone(w, r)
		return nil, Client{}, false
	}
	c, err := pg.s.activeClient(r.Context(), a.ClientID)
	if err != nil {
		pg.renderGone(w, r)
		return nil, Client{}, false
	}
	return a, c, true
}

// oidcError ends the request with an error for the client, sent to its
// redirect URI (login_required, access_denied, ...).
func (pg *Pages) oidcError(w http.ResponseWriter, r *http.Request, a *authRequest, err error) {
	ctx := op.ContextWithIssuer(r.Context(), pg.p.issuer)
	pg.s.DeleteAuthRequest(ctx, a.ID)
	op.AuthRequestError(w, r.WithContext(ctx), a, err, pg.p.p)
}

// cspOrigin is a redirect URI's origin as a CSP source: scheme://host[:port],
// or scheme: for a native app's private-use scheme.
var cspOrigin = regexp.MustCompile(`^[a-z][a-z0-9+.-]*:(//[A-Za-z0-9.-]+(:[0-9]+)?|//\[[0-9A-Fa-f:.]+\](:[0-9]+)?)?$`)

// allowClientTarget lets the forms of a page that belongs to an
// authorization request end at the client. Answering the sign-in, second
// factor, consent or sign-up form starts a chain of redirects that ends at
// the client's redirect URI, and browsers apply the page's form-action
// directive to every redirect of that chain: with the platform's
// form-action 'self' Chromium refuses the last one, to the client's
// origin. The page's policy adds the origins of the client's registered
// redirect URIs (exact URIs are still enforced by the provider).
func (pg *Pages) allowClientTarget(w http.ResponseWriter, r *http.Request, id string) {
	a, err := pg.s.authRequest(r.Context(), pg.s.db, id)
	if err != nil {
		return
	}
	c, err := pg.s.activeClient(r.Context(), a.ClientID)
	if err != nil {
		return
	}
	sources := []string{"'self'"}
	for _, ru := range c.RedirectURIs {
		u, err := url.Parse(ru)
		if err != nil || u.Scheme == "" {
			continue
		}
		o := u.Scheme + ":"
		if u.Host != "" {
			o += "//" + u.Host
		}
		if cspOrigin.MatchString(o) && !slices.Contains(sources, o) {
			sources = append(sources, o)
		}
	}
	w.Header().Set("Content-Security-Policy", strings.Replace(web.ContentSecurityPolicy, "form-action 'self'", "form-action "+strings.Join(sources, " "), 1))
}

// ---------------------------------------------------------------- the sign-in flow

// fresh reports whether a session may answer a request without signing in
// again: max_age and prompt=login (op turns it into max_age=0) are met by
// a sign-in made during this request; an id_token_hint names its person.
func (pg *Pages) fresh(a *authRequest, c Client, ss Session) bool {
	if a.Req.MaxAge != nil && ss.AuthTime.Before(a.Created) && pg.s.now().Sub(ss.AuthTime) > time.Duration(*a.Req.MaxAge)*time.Second {
		return false
	}
	if a.HintSubject != "" && pg.s.pairwise(c.Sector, ss.AccountID) != a.HintSubject {
		return false
	}
	return true
}

// proceed takes a request as far as the browser's session allows: sign
// in, second factor (step-up), consent, then back to the client.
func (pg *Pages) proceed(w http.ResponseWriter, r *http.Request, a *authRequest, c Client) {
	ctx := r.Context()
	w.Header().Set("Cache-Control", "no-store")
	ss, err := pg.session(r)
	var acc Account
	if err == nil && pg.fresh(a, c, ss) {
		acc, err = pg.s.Account(ctx, ss.AccountID)
		if err == nil && acc.Status != Active {
			err = errNoSession
		}
	} else if err == nil {
		err = errNoSession
	}
	if err != nil {
		if a.hasPrompt(oidc.PromptNone) {
			pg.oidcError(w, r, a, oidc.ErrLoginRequired())
			return
		}
		pg.renderSignin(w, r, http.StatusOK, signinView{AuthRequestID: a.ID, Username: a.Req.LoginHint}, a, c)
		return
	}
	need := a.requiredLevel(c)
	if ss.Level < need {
		if a.hasPrompt(oidc.PromptNone) {
			pg.oidcError(w, r, a, oidc.ErrInteractionRequired().WithDescription("the service needs assurance level %d", need))
			return
		}
		if acc.MaxLevel() < need {
			pg.render(w, r, http.StatusOK, "setup2fa.html", "identity.setup2fa.title", setupView{Client: c, Account: acc,
				SetupURL: "/account/totp?next=" + url.QueryEscape("/login?authRequestID="+a.ID)})
			return
		}
		http.Redirect(w, r, "/login/otp?authRequestID="+url.QueryEscape(a.ID), http.StatusSeeOther)
		return
	}
	need2, err := pg.s.NeedsConsent(ctx, acc.ID, c.ID, a.Req.Scopes)
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	if need2 || (a.hasPrompt(oidc.PromptConsent) && len(consentScopes(a.Req.Scopes)) > 0 && !consentGiven(r, a.ID)) {
		if a.hasPrompt(oidc.PromptNone) {
			pg.oidcError(w, r, a, &oidc.Error{ErrorType: "consent_required", Description: "the person has not agreed to give these attributes"})
			return
		}
		http.Redirect(w, r, "/login/consent?authRequestID="+url.QueryEscape(a.ID), http.StatusSeeOther)
		return
	}
	if err := pg.s.completeAuthRequest(ctx, a, c, ss); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	audit.Record(ctx, pg.s.db, who(r, acc.ID).Entry("identity.authorize", accountObject(acc.ID), audit.OK,
		map[string]any{"client": c.ID, "scopes": a.Req.Scopes, "acr": acrOf(ss.Level), "amr": ss.AMR}))
	http.Redirect(w, r, PathCallback+"?id="+url.QueryEscape(a.ID), http.StatusFound)
}

// consentGiven reports whether the consent page was just answered for
// this request (prompt=consent asks once per request).
func consentGiven(r *http.Request, id string) bool { return r.URL.Query().Get("consented") == id }

type signinView struct {
	AuthRequestID string
	Next          string
	Username      string
	Error         string
	Notice        string
	ClientName    string
	Level2        bool
}

func (pg *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView, a *authRequest, c Client) {
	if a != nil {
		v.ClientName, v.Level2 = c.Name, a.requiredLevel(c) >= 2
	}
	pg.render(w, r, status, "signin.html", "identity.signin.title", v)
}

func (pg *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id := q.Get("authRequestID")
	if id == "" {
		next := safeNext(q.Get("next"))
		if _, err := pg.session(r); err == nil {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		v := signinView{Next: next}
		if q.Get("reset") == "1" {
			v.Notice = web.T(web.Lang(r), "identity.reset.done")
		}
		pg.renderSignin(w, r, http.StatusOK, v, nil, Client{})
		return
	}
	a, c, ok := pg.request(w, r, id)
	if !ok {
		return
	}
	pg.proceed(w, r, a, c)
}

func (pg *Pages) login(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	ctx := r.Context()
	id := r.PostFormValue("authRequestID")
	var a *authRequest
	var c Client
	if id != "" {
		var ok bool
		if a, c, ok = pg.request(w, r, id); !ok {
			return
		}
	}
	username := r.PostFormValue("username")
	acc, err := pg.s.Authenticate(ctx, who(r, "anonymous"), username, r.PostFormValue("password"))
	if err != nil {
		status := http.StatusUnauthorized
		if !fault.Is(err, fault.Unauthenticated) {
			status = web.StatusOf(err)
		}
		pg.renderSignin(w, r, status, signinView{AuthRequestID: id, Next: safeNext(r.PostFormValue("next")), Username: strings.TrimSpace(username), Error: faultText(r, err)}, a, c)
		return
	}
	// A new sign-in replaces the browser's previous session.
	if old, err := pg.session(r); err == nil {
		pg.s.EndSession(ctx, who(r, old.AccountID), old.ID, "", "replaced by a new sign-in")
	}
	tok, ss, err := pg.s.StartSession(ctx, who(r, acc.ID), acc.ID, r.UserAgent())
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	pg.setSession(w, r, tok, ss.Expires)
	if id == "" {
		http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(id), http.StatusSeeOther)
}

// ---------------------------------------------------------------- second factor

type otpView struct {
	AuthRequestID string
	Next          string
	ClientName    string
	Error         string
}

// stepTarget is where a second-factor page leads: the authorization
// request, or a page of this site.
func stepTarget(id, next string) string {
	if id != "" {
		return "/login?authRequestID=" + url.QueryEscape(id)
	}
	return safeNext(next)
}

func (pg *Pages) otpForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := otpView{AuthRequestID: q.Get("authRequestID"), Next: safeNext(q.Get("next"))}
	if _, err := pg.session(r); err != nil {
		http.Redirect(w, r, "/login?"+r.URL.RawQuery, http.StatusSeeOther)
		return
	}
	if v.AuthRequestID != "" {
		_, c, ok := pg.request(w, r, v.AuthRequestID)
		if !ok {
			return
		}
		v.ClientName = c.Name
	}
	pg.render(w, r, http.StatusOK, "otp.html", "identity.otp.title", v)
}

func (pg *Pages) otp(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	v := otpView{AuthRequestID: r.PostFormValue("authRequestID"), Next: safeNext(r.PostFormValue("next"))}
	ss, err := pg.session(r)
	if err != nil {
		http.Redirect(w, r, stepTarget(v.AuthRequestID, "/account"), http.StatusSeeOther)
		return
	}
	if err := pg.s.VerifyTOTP(r.Context(), who(r, ss.AccountID), ss.AccountID, r.PostFormValue("code")); err != nil {
		v.Error = faultText(r, err)
		if f := fault.As(err); f != nil && len(f.Fields) > 0 {
			v.Error = msg(web.Lang(r), f.Fields[0].Message, f.Fields[0].Detail)
		}
		pg.render(w, r, web.StatusOf(err), "otp.html", "identity.otp.title", v)
		return
	}
	if _, err := pg.s.StepUp(r.Context(), ss.ID, AMROTP); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, stepTarget(v.AuthRequestID, v.Next), http.StatusSeeOther)
}

type setupView struct {
	Client   Client
	Account  Account
	SetupURL string
}

// ---------------------------------------------------------------- consent

type consentView struct {
	AuthRequestID string
	Client        Client
	Scopes        []string
	Account       Account
	Level         int
}

func (pg *Pages) consentForm(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	a, c, ok := pg.request(w, r, id)
	if !ok {
		return
	}
	ss, err := pg.session(r)
	if err != nil || !pg.fresh(a, c, ss) || ss.Level < a.requiredLevel(c) {
		http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	acc, err := pg.s.Account(r.Context(), ss.AccountID)
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	pg.render(w, r, http.StatusOK, "consent.html", "identity.consent.title", consentView{AuthRequestID: id, Client: c, Scopes: consentScopes(a.Req.Scopes), Account: acc, Level: ss.Level})
}

func (pg *Pages) consent(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	id := r.PostFormValue("authRequestID")
	a, c, ok := pg.request(w, r, id)
	if !ok {
		return
	}
	ss, err := pg.session(r)
	if err != nil || !pg.fresh(a, c, ss) || ss.Level < a.requiredLevel(c) {
		http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	scopes := consentScopes(a.Req.Scopes)
	actor := who(r, ss.AccountID)
	if r.PostFormValue("decision") != "allow" {
		pg.s.RefuseConsent(r.Context(), actor, ss.AccountID, c.ID, scopes)
		pg.oidcError(w, r, a, oidc.ErrAccessDenied().WithDescription("the person refused to give the requested attributes"))
		return
	}
	if err := pg.s.GrantConsent(r.Context(), actor, ss.AccountID, c.ID, scopes); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(id)+"&consented="+url.QueryEscape(id), http.StatusSeeOther)
}

// ---------------------------------------------------------------- sign-up

type formField struct {
	Name         string
	Label        string
	Hint         string
	Value        string
	Type         string // text, password, email, tel
	Errors       []string
	Autocomplete string
	InputMode    string
}

// DescribedBy is the value of aria-describedby: the hint and the error.
func (f formField) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.Name+"-hint")
	}
	if len(f.Errors) > 0 {
		ids = append(ids, f.Name+"-error")
	}
	return strings.Join(ids, " ")
}

type signupView struct {
	AuthRequestID string
	Fields        []formField
	Errors        []fault.FieldError
	Notice        string
}

var (
	vnDate  = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
	isoLike = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// isoDay reads a date typed the Vietnamese way (12/05/1989) as YYYY-MM-DD.
func isoDay(s string) string {
	s = strings.TrimSpace(s)
	if m := vnDate.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("%s-%02s-%02s", m[3], m[2], m[1])
	}
	return s
}

// displayDay shows YYYY-MM-DD as 12/05/1989.
func displayDay(d string) string {
	if isoLike.MatchString(d) {
		return d[8:10] + "/" + d[5:7] + "/" + d[0:4]
	}
	return d
}

func fieldsOf(lang string, errs []fault.FieldError, values map[string]string, names ...string) []formField {
	byField := map[string][]string{}
	for _, e := range errs {
		byField[e.Field] = append(byField[e.Field], msg(lang, e.Message, e.Detail))
	}
	var out []formField
	for _, n := range names {
		f := formField{Name: n, Label: web.T(lang, "identity.field."+n), Value: values[n], Type: "text", Errors: byField[n]}
		if h := web.T(lang, "identity.hint."+n); h != "identity.hint."+n {
			f.Hint = h
		}
		switch n {
		case "password", "password2", "current_password":
			f.Type, f.Value, f.Autocomplete = "password", "", "new-password"
			if n == "current_password" {
				f.Autocomplete = "current-password"
			}
		case "email":
			f.Type, f.Autocomplete = "email", "email"
		case "phone":
			f.Type, f.Autocomplete, f.InputMode = "tel", "tel", "tel"
		case "personal_id", "code":
			f.InputMode, f.Autocomplete = "numeric", "off"
			if n == "code" {
				f.Autocomplete = "one-time-code"
			}
		case "full_name":
			f.Autocomplete = "name"
		case "birth_date":
			f.Autocomplete = "bday"
		case "username":
			f.Autocomplete = "username"
		}
		out = append(out, f)
	}
	return out
}

var signupFields = []string{"personal_id", "full_name", "birth_date", "email", "phone", "password", "password2"}

func (pg *Pages) signupForm(w http.ResponseWriter, r *http.Request) {
	v := signupView{AuthRequestID: r.URL.Query().Get("authRequestID"), Fields: fieldsOf(web.Lang(r), nil, nil, signupFields...)}
	pg.render(w, r, http.StatusOK, "signup.html", "identity.signup.title", v)
}

func (pg *Pages) signup(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	lang := web.Lang(r)
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	values := map[string]string{"personal_id": g("personal_id"), "full_name": g("full_name"), "birth_date": g("birth_date"), "email": g("email"), "phone": g("phone")}
	v := signupView{AuthRequestID: g("authRequestID")}
	in := SignUp{PersonalID: values["personal_id"], FullName: values["full_name"], BirthDate: isoDay(values["birth_date"]), Email: values["email"], Phone: values["phone"],
		Password: r.PostFormValue("password")}
	var errs []fault.FieldError
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		errs = append(errs, fieldErr("password2", "password2.mismatch", "Hai lần nhập mật khẩu không giống nhau", "the two passwords differ"))
	}
	var acc Account
	var err error
	if len(errs) == 0 {
		acc, err = pg.s.SignUp(r.Context(), who(r, "anonymous"), in)
	}
	if f := fault.As(err); f != nil || len(errs) > 0 {
		status := http.StatusUnprocessableEntity
		if f != nil {
			errs = append(errs, f.Fields...)
			if len(f.Fields) == 0 {
				v.Notice, status = faultText(r, err), web.StatusOf(err)
			}
		}
		v.Errors, v.Fields = errs, fieldsOf(lang, errs, values, signupFields...)
		pg.render(w, r, status, "signup.html", "identity.signup.title", v)
		return
	}
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	tok, ss, err := pg.s.StartSession(r.Context(), who(r, acc.ID), acc.ID, r.UserAgent())
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	pg.setSession(w, r, tok, ss.Expires)
	if v.AuthRequestID != "" {
		http.Redirect(w, r, "/login?authRequestID="+url.QueryEscape(v.AuthRequestID), http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account?welcome=1", http.StatusSeeOther)
}

// ---------------------------------------------------------------- forgotten password

type forgotView struct {
	Username string
	Fields   []formField
	Errors   []fault.FieldError
	Notice   string
}

func (pg *Pages) forgotForm(w http.ResponseWriter, r *http.Request) {
	pg.render(w, r, http.StatusOK, "forgot.html", "identity.forgot.title", forgotView{Fields: fieldsOf(web.Lang(r), nil, nil, "username")})
}

func (pg *Pages) forgot(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	user := strings.TrimSpace(r.PostFormValue("username"))
	if user == "" {
		errs := []fault.FieldError{fieldErr("username", "username.required", "Hãy nhập số định danh cá nhân hoặc tên đăng nhập", "enter your personal ID or username")}
		pg.render(w, r, http.StatusUnprocessableEntity, "forgot.html", "identity.forgot.title", forgotView{Errors: errs, Fields: fieldsOf(web.Lang(r), errs, nil, "username")})
		return
	}
	pg.s.RequestPasswordReset(r.Context(), who(r, "anonymous"), user, nil)
	http.Redirect(w, r, "/forgot/reset?sent=1&u="+url.QueryEscape(user), http.StatusSeeOther)
}

var resetFields = []string{"username", "code", "password", "password2"}

func (pg *Pages) resetForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := forgotView{Fields: fieldsOf(web.Lang(r), nil, map[string]string{"username": q.Get("u")}, resetFields...)}
	if q.Get("sent") == "1" {
		v.Notice = web.T(web.Lang(r), "identity.forgot.sent")
	}
	pg.render(w, r, http.StatusOK, "reset.html", "identity.reset.title", v)
}

func (pg *Pages) reset(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	user := strings.TrimSpace(r.PostFormValue("username"))
	var errs []fault.FieldError
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		errs = append(errs, fieldErr("password2", "password2.mismatch", "Hai lần nhập mật khẩu không giống nhau", "the two passwords differ"))
	}
	var err error
	if len(errs) == 0 {
		err = pg.s.ResetPassword(r.Context(), who(r, "anonymous"), user, strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("password"))
	}
	if f := fault.As(err); f != nil || len(errs) > 0 {
		v := forgotView{}
		if f != nil {
			errs = append(errs, f.Fields...)
			if len(f.Fields) == 0 {
				v.Notice = faultText(r, err)
			}
		}
		v.Errors, v.Fields = errs, fieldsOf(web.Lang(r), errs, map[string]string{"username": user}, resetFields...)
		status := http.StatusUnprocessableEntity
		if f != nil && f.Kind != fault.Invalid {
			status = web.StatusOf(err)
		}
		pg.render(w, r, status, "reset.html", "identity.reset.title", v)
		return
	}
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/login?reset=1", http.StatusSeeOther)
}

// ---------------------------------------------------------------- account

type accountView struct {
	Account      Account
	Session      Session
	Level        int
	MaxLevel     int
	Sessions     []Session
	Consents     []Consent
	Activity     []activity
	Notice       string
	Error        string
	Verify       string // the channel a code was sent to
	PasswordForm []formField
}

type activity struct {
	Time   time.Time
	Label  string
	Result string
	IP     string
	OK     bool
}

func (pg *Pages) account(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	pg.renderAccount(w, r, http.StatusOK, ss, a, func(v *accountView) {
		q := r.URL.Query()
		lang := web.Lang(r)
		switch {
		case q.Get("welcome") == "1":
			v.Notice = web.T(lang, "identity.account.welcome")
		case q.Get("done") != "":
			v.Notice = web.T(lang, "identity.account.done."+q.Get("done"))
		}
		if ch := q.Get("verify"); ch == ChannelEmail || ch == ChannelSMS {
			v.Verify = ch
		}
	})
}

func (pg *Pages) renderAccount(w http.ResponseWriter, r *http.Request, status int, ss Session, a Account, set func(v *accountView)) {
	ctx, lang := r.Context(), web.Lang(r)
	v := &accountView{Account: a, Session: ss, Level: ss.Level, MaxLevel: a.MaxLevel(), PasswordForm: passwordForm(lang, nil)}
	var err error
	if v.Sessions, err = pg.s.Sessions(ctx, a.ID); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	if v.Consents, err = pg.s.Consents(ctx, a.ID); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	entries, err := audit.List(ctx, pg.s.db, audit.Query{Object: accountObject(a.ID), Limit: 30})
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	for _, e := range entries {
		label := web.T(lang, "identity.activity."+e.Action)
		if label == "identity.activity."+e.Action {
			label = e.Action
		}
		if c, ok := e.Detail["client"].(string); ok && c != "" {
			label += " (" + c + ")"
		}
		v.Activity = append(v.Activity, activity{Time: e.Time, Label: label, Result: web.T(lang, "identity.result."+e.Result), IP: e.SourceIP, OK: e.Result == audit.OK})
	}
	if set != nil {
		set(v)
	}
	w.Header().Set("Cache-Control", "no-store")
	pg.rd.Render(w, r, status, "account.html", pg.page(r, web.T(lang, "identity.account.title"), v))
}

// passwordForm is the account page's change-of-password form.
func passwordForm(lang string, errs []fault.FieldError) []formField {
	f := fieldsOf(lang, errs, nil, "current_password", "password", "password2")
	f[1].Label = web.T(lang, "identity.field.new_password")
	return f
}

func (pg *Pages) contactSend(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	ch := r.PostFormValue("channel")
	if err := pg.s.SendContactCode(r.Context(), who(r, a.ID), a.ID, ch); err != nil {
		pg.renderAccount(w, r, web.StatusOf(err), ss, a, func(v *accountView) { v.Error = faultText(r, err) })
		return
	}
	http.Redirect(w, r, "/account?verify="+url.QueryEscape(ch)+"#contact", http.StatusSeeOther)
}

func (pg *Pages) contactVerify(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	ch := r.PostFormValue("channel")
	if err := pg.s.VerifyContact(r.Context(), who(r, a.ID), a.ID, ch, strings.TrimSpace(r.PostFormValue("code"))); err != nil {
		text := faultText(r, err)
		if f := fault.As(err); f != nil && len(f.Fields) > 0 {
			text = msg(web.Lang(r), f.Fields[0].Message, f.Fields[0].Detail)
		}
		pg.renderAccount(w, r, web.StatusOf(err), ss, a, func(v *accountView) { v.Error, v.Verify = text, ch })
		return
	}
	http.Redirect(w, r, "/account?done=contact#contact", http.StatusSeeOther)
}

func (pg *Pages) changePassword(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	var errs []fault.FieldError
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		errs = append(errs, fieldErr("password2", "password2.mismatch", "Hai lần nhập mật khẩu không giống nhau", "the two passwords differ"))
	}
	var err error
	if len(errs) == 0 {
		err = pg.s.ChangePassword(r.Context(), who(r, a.ID), a.ID, r.PostFormValue("current_password"), r.PostFormValue("password"))
	}
	if f := fault.As(err); f != nil || len(errs) > 0 {
		if f != nil {
			errs = append(errs, f.Fields...)
		}
		pg.renderAccount(w, r, http.StatusUnprocessableEntity, ss, a, func(v *accountView) {
			v.PasswordForm = passwordForm(web.Lang(r), errs)
			v.Error = web.T(web.Lang(r), "identity.password.failed")
		})
		return
	}
	if err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

func (pg *Pages) endSession(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	id := r.PostFormValue("session")
	if err := pg.s.EndSession(r.Context(), who(r, a.ID), id, a.ID, "ended from the account page"); err != nil {
		pg.rd.RenderError(w, r, err)
		return
	}
	if id == ss.ID {
		pg.clearSession(w, r)
		http.Redirect(w, r, "/logout/done", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account?done=session#sessions", http.StatusSeeOther)
}

func (pg *Pages) withdraw(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	if err := pg.s.WithdrawConsent(r.Context(), who(r, a.ID), a.ID, r.PostFormValue("client")); err != nil {
		pg.renderAccount(w, r, web.StatusOf(err), ss, a, func(v *accountView) { v.Error = faultText(r, err) })
		return
	}
	http.Redirect(w, r, "/account?done=consent#consents", http.StatusSeeOther)
}

// ---------------------------------------------------------------- TOTP set-up

type totpView struct {
	Next      string
	Secret    string
	Grouped   string
	URI       string
	Error     string
	NoContact bool
	Replacing bool
}

func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (pg *Pages) totpForm(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	next := safeNext(r.URL.Query().Get("next"))
	// Replacing a second factor takes the second factor.
	if a.TOTPEnabled && ss.Level < 2 {
		http.Redirect(w, r, "/login/otp?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	v := totpView{Next: next, Replacing: a.TOTPEnabled}
	enr, ok := pg.s.PendingTOTP(r.Context(), a.ID)
	if !ok {
		var err error
		enr, err = pg.s.BeginTOTP(r.Context(), who(r, a.ID), a.ID)
		if fault.Is(err, fault.Conflict) {
			v.NoContact = true
			pg.render(w, r, http.StatusOK, "totp.html", "identity.totp.title", v)
			return
		}
		if err != nil {
			pg.rd.RenderError(w, r, err)
			return
		}
	}
	v.Secret, v.Grouped, v.URI = enr.Secret, groupSecret(enr.Secret), enr.URI
	pg.render(w, r, http.StatusOK, "totp.html", "identity.totp.title", v)
}

func (pg *Pages) totpConfirm(w http.ResponseWriter, r *http.Request, ss Session, a Account) {
	if !pg.parse(w, r) {
		return
	}
	next := safeNext(r.PostFormValue("next"))
	if a.TOTPEnabled && ss.Level < 2 {
		http.Redirect(w, r, "/login/otp?next="+url.QueryEscape("/account/totp"), http.StatusSeeOther)
		return
	}
	err := pg.s.ConfirmTOTP(r.Context(), who(r, a.ID), a.ID, r.PostFormValue("code"))
	if err != nil {
		v := totpView{Next: next, Replacing: a.TOTPEnabled, Error: faultText(r, err)}
		if f := fault.As(err); f != nil && len(f.Fields) > 0 {
			v.Error = msg(web.Lang(r), f.Fields[0].Message, f.Fields[0].Detail)
		}
		if enr, ok := pg.s.PendingTOTP(r.Context(), a.ID); ok {
			v.Secret, v.Grouped, v.URI = enr.Secret, groupSecret(enr.Secret), enr.URI
		}
		pg.render(w, r, web.StatusOf(err), "totp.html", "identity.totp.title", v)
		return
	}
	// The code just typed proves the app: the session is at level 2.
	pg.s.StepUp(r.Context(), ss.ID, AMROTP)
	pg.notifyChange(r.Context(), a, "Xác thực hai lớp đã được bật cho tài khoản định danh của bạn. Nếu không phải bạn thực hiện, hãy đặt lại mật khẩu ngay và liên hệ bộ phận hỗ trợ.")
	if next == "/account" {
		next = "/account?done=totp"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// notifyChange tells the person, on their verified contacts, about a
// security change of their account.
func (pg *Pages) notifyChange(ctx context.Context, a Account, body string) {
	if pg.s.Notifier == nil {
		return
	}
	if a.EmailVerified {
		pg.s.Notifier.Send(ctx, ChannelEmail, a.Email, "Thay đổi bảo mật tài khoản định danh", body)
	}
	if a.PhoneVerified {
		pg.s.Notifier.Send(ctx, ChannelSMS, a.Phone, "Thay đổi bảo mật tài khoản định danh", body)
	}
}

// ---------------------------------------------------------------- sign-out

type logoutView struct {
	Next string
	Sig  string
}

// logoutForm asks to confirm a sign-out requested by a client without an
// id_token_hint (see TerminateSessionFromRequest).
func (pg *Pages) logoutForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := logoutView{Next: q.Get("next"), Sig: q.Get("sig")}
	if v.Next != "" && v.Sig != pg.s.mac("logout", v.Next) {
		v = logoutView{}
	}
	pg.render(w, r, http.StatusOK, "logout.html", "identity.logout.title", v)
}

func (pg *Pages) logout(w http.ResponseWriter, r *http.Request) {
	if !pg.parse(w, r) {
		return
	}
	if ss, err := pg.session(r); err == nil {
		if err := pg.s.EndSession(r.Context(), who(r, ss.AccountID), ss.ID, "", "signed out"); err != nil {
			pg.rd.RenderError(w, r, err)
			return
		}
	}
	pg.clearSession(w, r)
	next := "/logout/done"
	if n := r.PostFormValue("next"); n != "" && r.PostFormValue("sig") == pg.s.mac("logout", n) {
		next = n
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (pg *Pages) logoutDone(w http.ResponseWriter, r *http.Request) {
	pg.render(w, r, http.StatusOK, "logout_done.html", "identity.logout.done", nil)
}
