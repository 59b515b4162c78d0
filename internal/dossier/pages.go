package dossier

import (
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/authn/oidcrp"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var pageTemplates embed.FS

// Pages are the officials' one-stop console pages (trang xử lý hồ sơ của
// bộ phận một cửa), under /motcua/ on the console: the inbox of a role at
// an agency, a dossier with its history, and the actions allowed on it.
//
// Officials sign in with their own account at the identity provider when
// the desk has a client there (SetOIDC): the desk then acts with the
// account's agency and roles. The admin token stays as a second way in,
// standing for an official with every desk role at every agency, as
// AdminAuth does.
type Pages struct {
	c        *Component
	rd       *web.Renderer
	sessions *authn.Sessions
	oidc     atomic.Pointer[oidcrp.Client]
}

// Session cookie of the desk pages.
const (
	deskCookie     = "vngov_motcua_session"
	deskPath       = "/motcua/"
	deskTTL        = 8 * time.Hour
	deskPerPage    = 20
	DemoDeskAgency = "000.00.92.H26" // the demo ward, the default ?agency=
)

// deskFilters are the inbox tabs, in order.
var deskFilters = []string{FilterNew, FilterDueToday, FilterOverdue, FilterAll}

// deskActions are the official's actions, in the order offered.
var deskActions = []string{ActionAccept, ActionForward, ActionApprove, ActionDeliver, ActionSupplement, ActionReturn, ActionRefuse}

// NewPages parses the page templates.
func NewPages(c *Component) (*Pages, error) {
	rd, err := web.NewRendererFuncs(pageTemplates, template.FuncMap{"vnday": vnDay, "vntime": vnTime}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("dossier: pages: %w", err)
	}
	s := authn.NewRandomSessions(deskCookie, deskPath, deskTTL)
	if c.k != nil && c.k.Config != nil {
		s.TrustProxy = c.k.Config.TrustProxy
	}
	return &Pages{c: c, rd: rd, sessions: s}, nil
}

// Routes mounts the pages on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /motcua/signin", p.signinForm)
	mux.HandleFunc("POST /motcua/signin", p.signin)
	mux.HandleFunc("POST /motcua/signout", p.signout)
	mux.HandleFunc("GET "+DeskOIDCStartPath, p.oidcStart)
	mux.HandleFunc("GET "+DeskOIDCCallbackPath, p.oidcCallback)
	mux.HandleFunc("GET /motcua/{$}", p.official(p.inboxPage))
	mux.HandleFunc("GET /motcua/dossiers/{code}", p.official(p.dossierPage))
	mux.HandleFunc("POST /motcua/dossiers/{code}/act", p.official(p.actPage))
	mux.HandleFunc("GET /motcua/dossiers/{code}/apology", p.official(p.apologyPage))
	mux.HandleFunc("GET /motcua/receive", p.official(p.receiveForm))
	mux.HandleFunc("POST /motcua/receive", p.official(p.receive))
	mux.HandleFunc("GET /motcua/dossiers/{code}/receipt", p.official(p.receiptPage))
	mux.HandleFunc("GET /motcua", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/motcua/", http.StatusMovedPermanently)
	})
}

// vnDay writes a time as dd/mm/yyyy.
func vnDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006")
}

// vnTime writes a time as dd/mm/yyyy HH:MM.
func vnTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format("02/01/2006 15:04")
}

func pick(lang, vi, en string) string {
	if lang == web.LangEN && en != "" {
		return en
	}
	return vi
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	nav := []web.Link{{Label: web.T(lang, "motcua.nav.inbox"), Href: "/motcua/", Current: r.URL.Path == "/motcua/"},
		{Label: web.T(lang, "motcua.nav.receive"), Href: "/motcua/receive", Current: r.URL.Path == "/motcua/receive"}}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "motcua.crumb"), Href: "/motcua/"}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "motcua.service"), Nav: nav, Breadcrumbs: crumbs, Data: data}
}

// ---------------------------------------------------------------- sessions

func deskActor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// official wraps a page that needs a signed-in official: without a session
// the official is sent to sign in and brought back. A session from the
// identity provider is the account's agency and desk roles; one from the
// admin token stands for an official with every desk role at every agency
// (AdminAuth's stand-in).
func (p *Pages) official(next func(w http.ResponseWriter, r *http.Request, who Official)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		pr, err := p.sessions.Read(r)
		if err != nil {
			http.Redirect(w, r, "/motcua/signin?next="+url.QueryEscape(deskNext(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		p.allowProviderForms(w)
		next(w, r, readSession(pr).Official)
	}
}

func deskNext(s string) string {
	return authn.SafeNext(s, "/motcua/", "/motcua/", "/motcua/signin", "/motcua/signout", DeskOIDCStartPath, DeskOIDCCallbackPath)
}

type deskSigninView struct {
	Next   string
	OIDC   string // the link to sign in at the identity provider, when there is one
	Errors []fault.FieldError
	Error  string
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v deskSigninView) {
	title := web.T(web.Lang(r), "motcua.signin.title")
	w.Header().Set("Cache-Control", "no-store")
	v.OIDC = p.oidcSigninURL(v.Next)
	p.rd.Render(w, r, status, "signin.html", p.page(r, title, []web.Link{{Label: title, Href: "/motcua/signin"}}, v))
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, deskSigninView{Next: deskNext(r.URL.Query().Get("next"))})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "motcua.signin.form", "Biểu mẫu đăng nhập không hợp lệ", "the sign-in form could not be read"))
		return
	}
	v := deskSigninView{Next: deskNext(r.PostFormValue("next"))}
	// Any valid admin token will do, whatever its platform roles: AdminAuth
	// makes it an official with every desk role.
	pr, refused := authn.SignInWithToken(ctx, p.c.k.Admin, r, r.PostFormValue("token"), "")
	if refused != authn.Accepted {
		audit.Record(ctx, p.c.k.DB, deskActor(r, "anonymous").Entry("dossier.signin", "motcua", audit.Denied, map[string]any{"reason": string(refused)}))
		status, f := refused.Field("", "")
		v.Errors, v.Error = []fault.FieldError{f}, pick(lang, f.Message, f.Detail)
		p.renderSignin(w, r, status, v)
		return
	}
	if err := audit.Record(ctx, p.c.k.DB, deskActor(r, pr.Subject).Entry("dossier.signin", "motcua", audit.OK, nil)); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, &authn.Principal{Subject: pr.Subject, Roles: pr.Roles})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// signout ends the desk's session and, for an official signed in at the
// identity provider, the provider's too (RP-initiated logout), which sends
// the browser back to the sign-in page.
func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	target := "/motcua/signin"
	if pr, err := p.sessions.Read(r); err == nil {
		audit.Record(r.Context(), p.c.k.DB, deskActor(r, pr.Subject).Entry("dossier.signout", "motcua", audit.OK, nil))
		if s := readSession(pr); s.OIDC {
			if cl := p.oidc.Load(); cl != nil {
				if u := cl.LogoutURL(r.Context(), s.IDToken); u != "" {
					target = u
				}
			}
		}
	}
	p.sessions.Clear(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// ---------------------------------------------------------------- inbox

type deskOption struct {
	Value, Label string
	Selected     bool
}

type deskTab struct {
	Label   string
	Href    string
	Count   int
	Current bool
}

type deskRow struct {
	Summary
	Href string
}

type inboxView struct {
	Who     string
	Agency  string
	Role    string
	Filter  string
	Roles   []deskOption
	Tabs    []deskTab
	Rows    []deskRow
	Pager   web.Pager
	Errors  []fault.FieldError
	Current string // the current tab's label
}

func deskAgency(r *http.Request) string {
	a := strings.ToUpper(strings.TrimSpace(r.URL.Query().Get("agency")))
	if a == "" {
		return DemoDeskAgency
	}
	return a
}

func inboxURL(agency, role, filter string, page int) string {
	q := url.Values{}
	q.Set("agency", agency)
	q.Set("role", role)
	q.Set("filter", filter)
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/motcua/?" + q.Encode()
}

func (p *Pages) inboxPage(w http.ResponseWriter, r *http.Request, who Official) {
	lang, q := web.Lang(r), r.URL.Query()
	v := inboxView{Who: who.ID, Agency: deskAgency(r), Role: q.Get("role"), Filter: q.Get("filter")}
	if who.Agency != AnyAgency {
		// An official of one agency sees that agency's dossiers only.
		if asked := strings.TrimSpace(q.Get("agency")); asked != "" && !strings.EqualFold(asked, who.Agency) {
			p.rd.RenderError(w, r, errInboxOtherAgency)
			return
		}
		v.Agency = who.Agency
	}
	if v.Role == "" {
		v.Role = RoleReceptionist
		for _, role := range []string{RoleReceptionist, RoleSpecialist, RoleLeader} {
			if who.Has(role) {
				v.Role = role
				break
			}
		}
	}
	if v.Filter == "" {
		v.Filter = FilterAll
	}
	status := http.StatusOK
	if !who.Has(v.Role) {
		v.Errors = append(v.Errors, fault.FieldError{Field: "role", Code: "role.value", Message: "Vai trò phải là tiếp nhận, xử lý hoặc phê duyệt", Detail: "role must be receptionist, specialist or leader"})
		v.Role = RoleReceptionist
		for _, role := range []string{RoleReceptionist, RoleSpecialist, RoleLeader} {
			if who.Has(role) {
				v.Role = role
				break
			}
		}
		status = http.StatusUnprocessableEntity
	}
	validFilter := false
	for _, f := range deskFilters {
		validFilter = validFilter || f == v.Filter
	}
	if !validFilter {
		v.Errors = append(v.Errors, fault.FieldError{Field: "filter", Code: "filter.value", Message: "Bộ lọc không hợp lệ", Detail: "unknown filter"})
		v.Filter = FilterAll
		status = http.StatusUnprocessableEntity
	}
	for _, role := range []string{RoleReceptionist, RoleSpecialist, RoleLeader} {
		if !who.Has(role) {
			continue
		}
		v.Roles = append(v.Roles, deskOption{Value: role, Label: web.T(lang, "motcua.role."+role), Selected: role == v.Role})
	}
	pageNo, _ := strconv.Atoi(q.Get("page"))
	pageNo = max(1, pageNo)
	ib, err := p.c.Svc.Inbox(r.Context(), v.Agency, v.Role, v.Filter, deskPerPage, (pageNo-1)*deskPerPage)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	counts := map[string]int{FilterNew: ib.Counts.New, FilterDueToday: ib.Counts.DueToday, FilterOverdue: ib.Counts.Overdue, FilterAll: ib.Counts.All}
	for _, f := range deskFilters {
		t := deskTab{Label: web.T(lang, "motcua.filter."+f), Href: inboxURL(v.Agency, v.Role, f, 1), Count: counts[f], Current: f == v.Filter}
		if t.Current {
			v.Current = t.Label
		}
		v.Tabs = append(v.Tabs, t)
	}
	for _, it := range ib.Items {
		v.Rows = append(v.Rows, deskRow{Summary: it, Href: "/motcua/dossiers/" + url.PathEscape(it.Code)})
	}
	pages := (counts[v.Filter] + deskPerPage - 1) / deskPerPage
	v.Pager = web.Pager{Page: pageNo, Pages: pages}
	if pageNo > 1 {
		v.Pager.PrevURL = inboxURL(v.Agency, v.Role, v.Filter, pageNo-1)
	}
	if pageNo < pages {
		v.Pager.NextURL = inboxURL(v.Agency, v.Role, v.Filter, pageNo+1)
	}
	p.rd.Render(w, r, status, "inbox.html", p.page(r, web.T(lang, "motcua.inbox.title"), nil, v))
}

// ---------------------------------------------------------------- dossier

type formItem struct{ Label, Value string }

type actionForm struct {
	Action   string
	Label    string
	NeedNote bool
	Primary  bool
}

type dossierView struct {
	Who      string
	D        Dossier
	Form     []formItem
	Actions  []actionForm
	Apology  bool
	Error    string // why the last action was refused
	Errors   []fault.FieldError
	Note     string
	Agency   string
	RoleName string
}

func (p *Pages) dossierPage(w http.ResponseWriter, r *http.Request, who Official) {
	p.renderDossier(w, r, who, http.StatusOK, nil, "")
}

// renderDossier shows the dossier, with the refusal of an action (failed)
// when there is one.
func (p *Pages) renderDossier(w http.ResponseWriter, r *http.Request, who Official, status int, failed error, note string) {
	ctx, lang := reqCtx(r), web.Lang(r)
	d, err := p.c.Svc.ForOfficial(ctx, who, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := dossierView{Who: who.ID, D: d, Note: note, Agency: d.Agency}
	if d.Role != "" {
		v.RoleName = web.T(lang, "motcua.role."+d.Role)
	}
	if f := fault.As(failed); f != nil {
		v.Error = pick(lang, f.Message, f.Detail)
		v.Errors = f.Fields
	} else if failed != nil {
		p.rd.RenderError(w, r, failed)
		return
	}
	pi, err := p.c.Svc.proc(ctx, d.Procedure, d.ProcedureVersion)
	if err == nil {
		v.Form = formItems(pi, d.Form)
		if rw, err := p.c.Svc.load(ctx, p.c.Svc.db, d.Code); err == nil {
			now := p.c.Svc.now()
			for _, a := range deskActions {
				// A dry run of the workflow's own checks: what Act would allow now.
				if _, err := p.c.Svc.plan(rw, pi, who, a, "-", now); err == nil {
					v.Actions = append(v.Actions, actionForm{Action: a, Label: web.T(lang, "motcua.action."+a),
						NeedNote: a == ActionRefuse || a == ActionSupplement || a == ActionReturn, Primary: len(v.Actions) == 0})
				}
			}
		}
	}
	if !d.Status.Final() && d.FinishedAt == nil {
		_, aerr := p.c.Svc.ApologyDraft(ctx, d.Code, "")
		v.Apology = aerr == nil
	}
	p.rd.Render(w, r, status, "dossier.html", p.page(r, d.Code, []web.Link{{Label: d.Code, Href: "/motcua/dossiers/" + url.PathEscape(d.Code)}}, v))
}

// formItems lists the form's fields in the schema's order, labelled with
// the schema's titles when it has them; fields the schema does not name
// follow, under their keys.
func formItems(pi *procInfo, raw json.RawMessage) []formItem {
	var m map[string]any
	if len(raw) == 0 || decodeNumbers(raw, &m) != nil {
		return nil
	}
	var out []formItem
	seen := map[string]bool{}
	add := func(k string) {
		v, ok := m[k]
		if !ok || seen[k] {
			return
		}
		seen[k] = true
		lbl := k
		if pi.schema != nil {
			if n := pi.schema.props[k]; n != nil && n.title != "" {
				lbl = n.title
			}
		}
		val := display(v)
		if arr, ok := v.([]any); ok {
			parts := make([]string, len(arr))
			for i, x := range arr {
				parts[i] = display(x)
			}
			val = strings.Join(parts, ", ")
		}
		out = append(out, formItem{Label: lbl, Value: val})
	}
	if pi.schema != nil {
		for _, k := range pi.schema.order {
			add(k)
		}
	}
	keys, _ := objectKeys(raw)
	for _, k := range keys {
		add(k)
	}
	return out
}

func (p *Pages) actPage(w http.ResponseWriter, r *http.Request, who Official) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "motcua.act.form", "Biểu mẫu thao tác không hợp lệ", "the action form could not be read"))
		return
	}
	code := r.PathValue("code")
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version <= 0 {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "motcua.act.version", "Thiếu phiên bản hồ sơ; hãy tải lại trang", "the version is missing"))
		return
	}
	note := r.PostFormValue("note")
	if _, err := p.c.Svc.Act(reqCtx(r), who, code, r.PostFormValue("action"), note, version); err != nil {
		if fault.As(err) == nil {
			p.rd.RenderError(w, r, err)
			return
		}
		p.renderDossier(w, r, who, web.StatusOf(err), err, note)
		return
	}
	target := "/motcua/dossiers/" + url.PathEscape(code)
	if web.Lang(r) == web.LangEN {
		target += "?lang=en"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

type apologyView struct {
	Who string
	D   Dossier
	A   Apology
}

func (p *Pages) apologyPage(w http.ResponseWriter, r *http.Request, who Official) {
	ctx, lang := reqCtx(r), web.Lang(r)
	d, err := p.c.Svc.ForOfficial(ctx, who, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	a, err := p.c.Svc.ApologyDraft(ctx, d.Code, r.URL.Query().Get("reason"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	title := web.T(lang, "motcua.apology.title")
	p.rd.Render(w, r, http.StatusOK, "apology.html", p.page(r, title, []web.Link{
		{Label: d.Code, Href: "/motcua/dossiers/" + url.PathEscape(d.Code)},
		{Label: title, Href: "/motcua/dossiers/" + url.PathEscape(d.Code) + "/apology"}}, apologyView{Who: who.ID, D: d, A: a}))
}
