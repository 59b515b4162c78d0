package identity

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// Console is the client registry's administration pages under
// /identity/clients: list, register, change, new secret, disable. They
// need a principal with RoleAdmin; until officials sign in to the console
// through this provider, the administrator types the admin token once
// (authn.Sessions, as the other consoles do).
type Console struct {
	s        *Service
	pg       *Pages
	admin    authn.Verifier
	sessions *authn.Sessions
}

// NewConsole returns the client registry's pages; v checks admin tokens.
func NewConsole(s *Service, pg *Pages, v authn.Verifier, trustProxy bool) *Console {
	ss := authn.NewRandomSessions("vngov_identity_admin", "/identity/", 8*time.Hour)
	ss.TrustProxy = trustProxy
	return &Console{s: s, pg: pg, admin: v, sessions: ss}
}

// Routes mounts the pages.
func (c *Console) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /identity/signin", c.signinForm)
	mux.HandleFunc("POST /identity/signin", c.signin)
	mux.HandleFunc("POST /identity/signout", c.signout)
	mux.HandleFunc("GET /identity/clients", c.adminOnly(c.list))
	mux.HandleFunc("GET /identity/clients/new", c.adminOnly(c.newForm))
	mux.HandleFunc("POST /identity/clients/new", c.adminOnly(c.create))
	mux.HandleFunc("GET /identity/clients/{id}", c.adminOnly(c.detail))
	mux.HandleFunc("GET /identity/clients/{id}/edit", c.adminOnly(c.editForm))
	mux.HandleFunc("POST /identity/clients/{id}/edit", c.adminOnly(c.update))
	mux.HandleFunc("POST /identity/clients/{id}/secret", c.adminOnly(c.rotate))
	mux.HandleFunc("POST /identity/clients/{id}/disable", c.adminOnly(c.disable))
}

func (c *Console) adminOnly(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := c.sessions.Read(r)
		if err != nil || !p.Has(RoleAdmin) {
			http.Redirect(w, r, "/identity/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		next(w, r, who(r, p.Subject))
	}
}

type consoleSigninView struct {
	Next  string
	Error string
}

func (c *Console) safeNext(n string) string {
	return authn.SafeNext(n, "/identity/", "/identity/clients", "/identity/signin", "/identity/signout")
}

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	c.pg.render(w, r, http.StatusOK, "admin_signin.html", "identity.console.signin", consoleSigninView{Next: c.safeNext(r.URL.Query().Get("next"))})
}

func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	if !c.pg.parse(w, r) {
		return
	}
	v := consoleSigninView{Next: c.safeNext(r.PostFormValue("next"))}
	p, refused := authn.SignInWithToken(r.Context(), c.admin, r, r.PostFormValue("token"), RoleAdmin)
	if refused != authn.Accepted {
		subject := "anonymous"
		if p != nil {
			subject = p.Subject
		}
		audit.Record(r.Context(), c.s.db, who(r, subject).Entry("identity.console.signin", "identity/console", audit.Denied, map[string]any{"reason": string(refused)}))
		v.Error = web.T(web.Lang(r), "identity.console.refused."+string(refused))
		c.pg.render(w, r, http.StatusUnauthorized, "admin_signin.html", "identity.console.signin", v)
		return
	}
	audit.Record(r.Context(), c.s.db, who(r, p.Subject).Entry("identity.console.signin", "identity/console", audit.OK, nil))
	c.sessions.Issue(w, r, p)
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	c.sessions.Clear(w, r)
	http.Redirect(w, r, "/identity/signin", http.StatusSeeOther)
}

type clientsView struct {
	Who     string
	Clients []Client
}

func (c *Console) list(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	cs, err := c.s.Clients(r.Context())
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	c.pg.render(w, r, http.StatusOK, "clients.html", "identity.console.clients", clientsView{Who: who.Subject, Clients: cs})
}

type clientView struct {
	Who    string
	Client Client
	Secret string // shown once, just after it was made
	JWKS   string
}

func (c *Console) detail(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	cl, err := c.s.Client(r.Context(), r.PathValue("id"))
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	c.pg.render(w, r, http.StatusOK, "client.html", "identity.console.client", clientView{Who: who.Subject, Client: cl, JWKS: string(cl.JWKS)})
}

type option struct {
	Value, Label string
	Selected     bool
}

type clientFormView struct {
	Who       string
	New       bool
	Action    string
	Client    Client
	Redirects string
	Logouts   string
	JWKS      string
	Errors    []fault.FieldError
	Types     []option
	Methods   []option
	Grants    []option
	Scopes    []option
	Levels    []option
	ByField   map[string][]string
}

func (c *Console) renderForm(w http.ResponseWriter, r *http.Request, status int, who audit.Actor, isNew bool, cl Client, errs []fault.FieldError) {
	lang := web.Lang(r)
	opts := func(values []string, selected func(string) bool, label func(string) string) []option {
		var out []option
		for _, v := range values {
			out = append(out, option{Value: v, Label: label(v), Selected: selected(v)})
		}
		return out
	}
	plain := func(v string) string { return v }
	v := clientFormView{Who: who.Subject, New: isNew, Client: cl, Errors: errs, ByField: map[string][]string{},
		Redirects: strings.Join(cl.RedirectURIs, "\n"), Logouts: strings.Join(cl.PostLogoutRedirectURIs, "\n"), JWKS: string(cl.JWKS)}
	for _, e := range errs {
		v.ByField[e.Field] = append(v.ByField[e.Field], msg(lang, e.Message, e.Detail))
	}
	v.Types = opts([]string{Confidential, Public}, func(s string) bool { return s == cl.Type }, func(s string) string { return web.T(lang, "identity.console.type."+s) })
	v.Methods = opts([]string{AuthSecretBasic, AuthPrivateKeyJWT, AuthNone}, func(s string) bool { return s == cl.AuthMethod }, plain)
	v.Grants = opts([]string{GrantCode, GrantRefresh, GrantClientCredentials}, cl.HasGrant, plain)
	scopes := slices.Clone(KnownScopes)
	for _, sc := range cl.Scopes {
		if !slices.Contains(scopes, sc) {
			scopes = append(scopes, sc)
		}
	}
	v.Scopes = opts(scopes, func(s string) bool { return slices.Contains(cl.Scopes, s) }, plain)
	v.Levels = opts([]string{"1", "2"}, func(s string) bool { return s == strconv.Itoa(max(cl.MinLevel, 1)) }, func(s string) string { return web.T(lang, "identity.level."+s) })
	v.Action = "/identity/clients/new"
	title := "identity.console.new"
	if !isNew {
		v.Action, title = "/identity/clients/"+url.PathEscape(cl.ID)+"/edit", "identity.console.edit"
	}
	c.pg.render(w, r, status, "client_form.html", title, v)
}

func (c *Console) newForm(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	c.renderForm(w, r, http.StatusOK, who, true, Client{Type: Confidential, AuthMethod: AuthSecretBasic, GrantTypes: []string{GrantCode}, Scopes: []string{"openid"}, MinLevel: 1}, nil)
}

// readClient reads the registration form.
func readClient(r *http.Request) Client {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	lines := func(k string) []string {
		var out []string
		for _, l := range strings.Split(g(k), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	cl := Client{ID: g("client_id"), Name: g("name"), Purpose: g("purpose"), Type: g("type"), AuthMethod: g("token_endpoint_auth_method"),
		RedirectURIs: lines("redirect_uris"), PostLogoutRedirectURIs: lines("post_logout_redirect_uris"), GrantTypes: r.PostForm["grant_types"],
		Scopes: r.PostForm["scopes"], Sector: g("sector")}
	for _, sc := range strings.Fields(g("api_scopes")) {
		if !slices.Contains(cl.Scopes, sc) {
			cl.Scopes = append(cl.Scopes, sc)
		}
	}
	cl.MinLevel, _ = strconv.Atoi(g("min_level"))
	if j := g("jwks"); j != "" {
		cl.JWKS = json.RawMessage(j)
	}
	return cl
}

func (c *Console) create(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if !c.pg.parse(w, r) {
		return
	}
	in := readClient(r)
	cl, sec, err := c.s.CreateClient(r.Context(), who, in)
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		c.renderForm(w, r, http.StatusUnprocessableEntity, who, true, in, f.Fields)
		return
	}
	if f := fault.As(err); f != nil && f.Kind == fault.Conflict {
		c.renderForm(w, r, http.StatusConflict, who, true, in, []fault.FieldError{fieldErr("client_id", f.Code, f.Message, f.Detail)})
		return
	}
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	c.pg.render(w, r, http.StatusCreated, "client.html", "identity.console.client", clientView{Who: who.Subject, Client: cl, Secret: sec, JWKS: string(cl.JWKS)})
}

func (c *Console) editForm(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	cl, err := c.s.Client(r.Context(), r.PathValue("id"))
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	c.renderForm(w, r, http.StatusOK, who, false, cl, nil)
}

func (c *Console) update(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if !c.pg.parse(w, r) {
		return
	}
	in := readClient(r)
	in.ID = r.PathValue("id")
	_, err := c.s.UpdateClient(r.Context(), who, in)
	if f := fault.As(err); f != nil && (f.Kind == fault.Invalid || f.Kind == fault.Conflict) {
		errs := f.Fields
		if len(errs) == 0 {
			errs = []fault.FieldError{fieldErr("token_endpoint_auth_method", f.Code, f.Message, f.Detail)}
		}
		c.renderForm(w, r, http.StatusUnprocessableEntity, who, false, in, errs)
		return
	}
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/identity/clients/"+url.PathEscape(in.ID), http.StatusSeeOther)
}

func (c *Console) rotate(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	id := r.PathValue("id")
	sec, err := c.s.RotateClientSecret(r.Context(), who, id)
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	cl, err := c.s.Client(r.Context(), id)
	if err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	c.pg.render(w, r, http.StatusOK, "client.html", "identity.console.client", clientView{Who: who.Subject, Client: cl, Secret: sec, JWKS: string(cl.JWKS)})
}

func (c *Console) disable(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if err := c.s.DisableClient(r.Context(), who, r.PathValue("id")); err != nil {
		c.pg.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/identity/clients/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
}
