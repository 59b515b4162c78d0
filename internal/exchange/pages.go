package exchange

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var pageTemplates embed.FS

// Pages are the exchange administration pages, under /exchange/: the
// overview of the global configuration and the services (public, as the
// global configuration is in X-Road), and the message log (exchange-admin
// only, behind a small sign-in).
type Pages struct {
	c   *Component
	rd  *web.Renderer
	now func() time.Time
	// sessions signs the log pages' session cookies with a key random per
	// process, so sessions end when the process restarts and are not shared
	// between nodes: enough until the identity provider lands and issues
	// real sessions.
	sessions *authn.Sessions
}

// Session cookie of the log pages.
const (
	sessionCookie = "vngov_exchange_session"
	sessionPath   = "/exchange/"
	sessionTTL    = 8 * time.Hour
)

// hubServerCode is the server code of the hub's own gateway (centralized
// mode: systems hosted at the national data centre connect through it).
// The registry does not record who operates the hub, so the server code is
// the rule; once it does, "the gateway owned by the operator" should be.
const hubServerCode = "NDXP"

// recordsPerPage is the message log page's length.
const recordsPerPage = 50

// countWindow is how far back the page counts calls.
const countWindow = 24 * time.Hour

// vnZone is Vietnam's time (UTC+7, no daylight saving).
var vnZone = time.FixedZone("UTC+7", 7*60*60)

// NewPages parses the page templates of c.
func NewPages(c *Component) (*Pages, error) {
	rd, err := web.NewRendererFuncs(pageTemplates, template.FuncMap{"clock": clock, "isotime": isoTime}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("exchange: pages: %w", err)
	}
	s := authn.NewRandomSessions(sessionCookie, sessionPath, sessionTTL)
	s.TrustProxy = c.k.Config.TrustProxy
	return &Pages{c: c, rd: rd, now: time.Now, sessions: s}, nil
}

// Routes mounts the pages on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /exchange/{$}", p.overview)
	mux.HandleFunc("GET /exchange/services", p.services)
	mux.HandleFunc("GET /exchange/traffic", p.traffic)
	mux.HandleFunc("GET /exchange/signin", p.signinForm)
	mux.HandleFunc("POST /exchange/signin", p.signin)
	mux.HandleFunc("POST /exchange/signout", p.signout)
	mux.HandleFunc("GET /exchange", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/exchange/", http.StatusMovedPermanently)
	})
}

// clock shows t as people in Vietnam read it: 30/06/2025 14:05:09, UTC+7.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vnZone).Format("02/01/2006 15:04:05")
}

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(vnZone).Format(time.RFC3339)
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	nav := []web.Link{
		{Label: web.T(lang, "exchange.nav.overview"), Href: "/exchange/", Current: r.URL.Path == "/exchange/"},
		{Label: web.T(lang, "exchange.nav.services"), Href: "/exchange/services", Current: r.URL.Path == "/exchange/services"},
		{Label: web.T(lang, "exchange.nav.traffic"), Href: "/exchange/traffic", Current: r.URL.Path == "/exchange/traffic" || r.URL.Path == "/exchange/signin"},
	}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "exchange.title"), Href: "/exchange/"}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "exchange.service"), Nav: nav, Breadcrumbs: crumbs, Data: data}
}

// ---------------------------------------------------------------- registry

// registryView is the registry as this node knows it: the hub's own
// registry when the hub runs here, otherwise the global configuration a
// gateway of this node holds.
type registryView struct {
	Conf       *GlobalConf // the signed configuration in force (its serial and times)
	Members    []Member
	Subsystems []Subsystem
	Gateways   []GatewayRecord
	Groups     []Group
	memberName map[string]string    // CLASS/CODE -> name
	subsystem  map[string]Subsystem // INSTANCE/CLASS/CODE/SUBSYSTEM -> subsystem
	gateway    map[string]GatewayRecord
}

func (p *Pages) registry(ctx context.Context) (*registryView, error) {
	v := &registryView{}
	if h := p.c.Hub; h != nil {
		if sc := h.Signed(); len(sc.Conf) > 0 {
			var gc GlobalConf
			if err := json.Unmarshal(sc.Conf, &gc); err == nil {
				v.Conf = &gc
			}
		}
		var err error
		if v.Members, v.Subsystems, err = h.Registry.Members(ctx); err != nil {
			return nil, err
		}
		if v.Gateways, err = h.Registry.Gateways(ctx); err != nil {
			return nil, err
		}
		if v.Groups, err = h.Registry.Groups(ctx); err != nil {
			return nil, err
		}
	} else {
		for _, g := range p.c.running() {
			if ix := g.Conf.cur.Load(); ix != nil && (v.Conf == nil || ix.conf.Serial > v.Conf.Serial) {
				v.Conf = ix.conf
			}
		}
		if v.Conf != nil {
			for _, m := range v.Conf.Members {
				v.Members = append(v.Members, m.Member)
				v.Subsystems = append(v.Subsystems, m.Subsystems...)
			}
			v.Gateways, v.Groups = v.Conf.Gateways, v.Conf.Groups
		}
	}
	inst := p.instance(v)
	v.memberName, v.subsystem, v.gateway = map[string]string{}, map[string]Subsystem{}, map[string]GatewayRecord{}
	for _, m := range v.Members {
		v.memberName[m.Class+"/"+m.Code] = m.Name
	}
	for _, s := range v.Subsystems {
		v.subsystem[inst+"/"+s.Class+"/"+s.Code+"/"+s.Subsystem] = s
	}
	for _, g := range v.Gateways {
		v.gateway[g.ID] = g
	}
	return v, nil
}

func (p *Pages) instance(v *registryView) string {
	if v != nil && v.Conf != nil {
		return v.Conf.Instance
	}
	return p.c.k.Config.Instance
}

// running returns the gateways this process runs, by id.
func (c *Component) running() []*RunningGateway {
	c.mu.Lock()
	out := make([]*RunningGateway, 0, len(c.gateways))
	for _, g := range c.gateways {
		out = append(out, g)
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// isHubGateway reports whether g is the hub's own gateway.
func isHubGateway(g GatewayRecord) bool { return g.ServerCode == hubServerCode }

// label names a subsystem, a group subject or a gateway for people.
type label struct {
	ID   string
	Name string
}

func (v *registryView) client(id string) label {
	if s, ok := v.subsystem[id]; ok {
		return label{ID: id, Name: s.Name}
	}
	return label{ID: id}
}

func (v *registryView) gatewayLabel(id string) label {
	if g, ok := v.gateway[id]; ok {
		return label{ID: id, Name: v.memberName[g.OwnerClass+"/"+g.OwnerCode]}
	}
	return label{ID: id}
}

// ---------------------------------------------------------------- overview

type overviewView struct {
	Instance string
	Conf     *GlobalConf
	Expired  bool
	FromHub  bool
	Members  []memberRow
	Gateways []gatewayRow
	Groups   []groupRow
}

type memberRow struct {
	Member
	Subsystems []subsystemRow
	Rows       int
}

type subsystemRow struct {
	Subsystem
	ID string
	// Mode is how the subsystem is connected: "direct" through its own
	// gateway, "central" through the hub's gateway, "none" not yet.
	Mode        string
	GatewayCode string
	GatewayID   string
}

type gatewayRow struct {
	GatewayRecord
	Owner   string
	Short   string // the fingerprint shortened for the table
	Central bool
	// Local is the state of the gateway when it runs in this process:
	// "" (not here), "valid", "expired" or "none".
	Local       string
	LocalSerial int64
	LocalUntil  time.Time
}

type groupRow struct {
	Group
	Clients []label
}

func shortFingerprint(fp string) string {
	if len(fp) <= 20 {
		return fp
	}
	return fp[:8] + "…" + fp[len(fp)-8:]
}

func (p *Pages) overview(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	reg, err := p.registry(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	now := p.now()
	v := overviewView{Instance: p.instance(reg), Conf: reg.Conf, FromHub: p.c.Hub != nil}
	if reg.Conf != nil {
		v.Expired = !now.Before(reg.Conf.ExpiresAt)
	}
	bySub := map[string][]subsystemRow{}
	for _, s := range reg.Subsystems {
		row := subsystemRow{Subsystem: s, ID: v.Instance + "/" + s.Class + "/" + s.Code + "/" + s.Subsystem, Mode: "none", GatewayID: s.Gateway}
		if g, ok := reg.gateway[s.Gateway]; ok {
			row.GatewayCode, row.Mode = g.ServerCode, "direct"
			if isHubGateway(g) {
				row.Mode = "central"
			}
		} else if s.Gateway != "" {
			row.GatewayCode, row.Mode = s.Gateway, "direct"
		}
		bySub[s.Class+"/"+s.Code] = append(bySub[s.Class+"/"+s.Code], row)
	}
	for _, m := range reg.Members {
		row := memberRow{Member: m, Subsystems: bySub[m.Class+"/"+m.Code]}
		row.Rows = max(1, len(row.Subsystems))
		v.Members = append(v.Members, row)
	}
	local := map[string]*RunningGateway{}
	for _, g := range p.c.running() {
		local[g.ID] = g
	}
	for _, g := range reg.Gateways {
		row := gatewayRow{GatewayRecord: g, Owner: reg.memberName[g.OwnerClass+"/"+g.OwnerCode], Short: shortFingerprint(g.Fingerprint), Central: isHubGateway(g)}
		if rg := local[g.ID]; rg != nil {
			serial, until, _ := rg.Conf.Status()
			row.LocalSerial, row.LocalUntil = serial, until
			switch {
			case until.IsZero():
				row.Local = "none"
			case !now.Before(until):
				row.Local = "expired"
			default:
				row.Local = "valid"
			}
		}
		v.Gateways = append(v.Gateways, row)
	}
	for _, g := range reg.Groups {
		row := groupRow{Group: g}
		for _, m := range g.Members {
			row.Clients = append(row.Clients, reg.client(m))
		}
		v.Groups = append(v.Groups, row)
	}
	p.rd.Render(w, r, http.StatusOK, "overview.html", p.page(r, web.T(lang, "exchange.title"), nil, v))
}

// ---------------------------------------------------------------- services

type servicesView struct {
	Gateways []serviceGroup
}

type serviceGroup struct {
	Gateway  label
	Code     string
	Central  bool
	Services []serviceRow
}

type serviceRow struct {
	Service
	Anchor      string
	ProviderFor label
	Host        string
	Endpoints   []Endpoint
	Access      []accessRow
}

type accessRow struct {
	Access
	Group   string // the group code, for "group:CODE" subjects
	Subject label
}

func backendHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// endpoints reads every service's endpoints, by PROVIDER/SERVICE.
func (p *Pages) endpoints(ctx context.Context) (map[string][]Endpoint, error) {
	rows, err := p.c.k.DB.Query(ctx, "SELECT provider, service_code, method, path FROM xr_endpoint ORDER BY provider, service_code, path, method")
	if err != nil {
		return nil, fmt.Errorf("exchange: endpoints: %w", err)
	}
	defer rows.Close()
	out := map[string][]Endpoint{}
	for rows.Next() {
		var prov, code string
		var ep Endpoint
		if err := rows.Scan(&prov, &code, &ep.Method, &ep.Path); err != nil {
			return nil, err
		}
		out[prov+"/"+code] = append(out[prov+"/"+code], ep)
	}
	return out, rows.Err()
}

func (p *Pages) services(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	reg, err := p.registry(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	svcs, err := p.c.Services.List(ctx, "")
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	eps, err := p.endpoints(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	groups := map[string]*serviceGroup{}
	var order []string
	add := func(id string) *serviceGroup {
		if g := groups[id]; g != nil {
			return g
		}
		g := &serviceGroup{Gateway: reg.gatewayLabel(id), Code: id}
		if rec, ok := reg.gateway[id]; ok {
			g.Code, g.Central = rec.ServerCode, isHubGateway(rec)
		}
		groups[id] = g
		order = append(order, id)
		return g
	}
	for _, g := range reg.Gateways {
		add(g.ID)
	}
	for _, s := range svcs {
		access, err := p.c.Services.AccessList(ctx, s.Provider, s.Code)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		row := serviceRow{Service: s, ProviderFor: reg.client(s.Provider), Host: backendHost(s.BackendURL), Endpoints: eps[s.Provider+"/"+s.Code],
			Anchor: "svc-" + strings.NewReplacer("/", "-", ".", "-").Replace(s.Provider+"-"+s.Code)}
		for _, a := range access {
			ar := accessRow{Access: a}
			if code, ok := strings.CutPrefix(a.Subject, "group:"); ok {
				ar.Group = code
			} else {
				ar.Subject = reg.client(a.Subject)
			}
			row.Access = append(row.Access, ar)
		}
		g := add(s.Gateway)
		g.Services = append(g.Services, row)
	}
	v := servicesView{}
	for _, id := range order {
		v.Gateways = append(v.Gateways, *groups[id])
	}
	title := web.T(lang, "exchange.services.title")
	p.rd.Render(w, r, http.StatusOK, "services.html", p.page(r, title, []web.Link{{Label: title, Href: "/exchange/services"}}, v))
}

// ---------------------------------------------------------------- sessions

// issue returns a session cookie value for subject, an exchange
// administrator, ending at exp.
func (p *Pages) issue(subject string, exp time.Time) string {
	return p.sessions.Encode(&authn.Principal{Subject: subject, Roles: []string{authn.RoleExchangeAdmin}}, exp)
}

// session returns the subject of r's valid session, or "".
func (p *Pages) session(r *http.Request) string {
	pr, err := p.sessions.Read(r)
	if err != nil || !pr.Has(authn.RoleExchangeAdmin) {
		return ""
	}
	return pr.Subject
}

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// safeNext keeps a post-sign-in destination on these pages.
func safeNext(s string) string {
	return authn.SafeNext(s, "/exchange/", "/exchange/traffic", "/exchange/signin", "/exchange/signout")
}

type signinView struct {
	Next   string
	Errors []fault.FieldError
	Error  string
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) {
	lang := web.Lang(r)
	w.Header().Set("Cache-Control", "no-store")
	title := web.T(lang, "exchange.signin.title")
	p.rd.Render(w, r, status, "signin.html", p.page(r, title, []web.Link{
		{Label: web.T(lang, "exchange.traffic.title"), Href: "/exchange/traffic"}, {Label: title, Href: "/exchange/signin"}}, v))
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, signinView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.Invalid, "exchange.signin.form", "Biểu mẫu đăng nhập không hợp lệ", "the sign-in form could not be read"))
		return
	}
	v := signinView{Next: safeNext(r.PostFormValue("next"))}
	pr, refused := authn.SignInWithToken(ctx, p.c.k.Admin, r, r.PostFormValue("token"), authn.RoleExchangeAdmin)
	if refused != authn.Accepted {
		who := "anonymous"
		if pr != nil {
			who = pr.Subject
		}
		audit.Record(ctx, p.c.k.DB, actor(r, who).Entry("exchange.signin", "exchange/traffic", audit.Denied, map[string]any{"reason": string(refused)}))
		status, f := refused.Field("quản trị trục trao đổi dữ liệu", "exchange-admin")
		v.Errors, v.Error = []fault.FieldError{f}, f.Message
		if lang == web.LangEN {
			v.Error = f.Detail
		}
		p.renderSignin(w, r, status, v)
		return
	}
	if err := audit.Record(ctx, p.c.k.DB, actor(r, pr.Subject).Entry("exchange.signin", "exchange/traffic", audit.OK, nil)); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, pr)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	if who := p.session(r); who != "" {
		audit.Record(r.Context(), p.c.k.DB, actor(r, who).Entry("exchange.signout", "exchange/traffic", audit.OK, nil))
	}
	p.sessions.Clear(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/exchange/", http.StatusSeeOther)
}

// ---------------------------------------------------------------- traffic

type trafficView struct {
	Who      string
	Gateway  string
	Client   string
	Service  string
	Filtered bool
	Gateways []label
	Clients  []label
	Services []label
	Seals    []sealRow
	Counts   []countRow
	Since    time.Time
	Records  []recordRow
	Pager    web.Pager
	PageNo   int
}

type sealRow struct {
	Gateway   label
	Committed int64
	Sealed    int64
	Unsealed  int64
	LastSeal  time.Time
	Error     string
	Local     bool
}

type countRow struct {
	msglog.Count
	Client  label
	Service label
}

type recordRow struct {
	msglog.Record
	ClientL  label
	ServiceL label
	Failed   bool
}

// sealStates reads how far each gateway's log is committed and sealed.
func (p *Pages) sealStates(ctx context.Context, reg *registryView) ([]sealRow, error) {
	type state struct {
		committed, sealed int64
		at                time.Time
	}
	st := map[string]*state{}
	get := func(id string) *state {
		if st[id] == nil {
			st[id] = &state{}
		}
		return st[id]
	}
	db := p.c.k.DB
	for _, q := range []struct {
		sql string
		set func(s *state, n, at int64)
	}{
		{"SELECT gateway, MAX(seq), 0 FROM msglog_record GROUP BY gateway", func(s *state, n, _ int64) { s.committed = max(s.committed, n) }},
		{"SELECT gateway, MAX(last_seq), MAX(at) FROM msglog_batch GROUP BY gateway", func(s *state, n, at int64) {
			s.sealed = max(s.sealed, n)
			s.committed = max(s.committed, n)
			if at > 0 {
				s.at = time.UnixMicro(at)
			}
		}},
		{"SELECT gateway, last_seq, 0 FROM msglog_pruned", func(s *state, n, _ int64) { s.sealed = max(s.sealed, n); s.committed = max(s.committed, n) }},
	} {
		rows, err := db.Query(ctx, q.sql)
		if err != nil {
			return nil, fmt.Errorf("exchange: log state: %w", err)
		}
		for rows.Next() {
			var id string
			var n, at int64
			if err := rows.Scan(&id, &n, &at); err != nil {
				rows.Close()
				return nil, err
			}
			q.set(get(id), n, at)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, g := range reg.Gateways {
		get(g.ID)
	}
	local := map[string]msglog.Stats{}
	for _, g := range p.c.running() {
		local[g.ID] = g.Log.Stats()
		get(g.ID)
	}
	ids := make([]string, 0, len(st))
	for id := range st {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]sealRow, 0, len(ids))
	for _, id := range ids {
		s := st[id]
		row := sealRow{Gateway: reg.gatewayLabel(id), Committed: s.committed, Sealed: s.sealed, LastSeal: s.at}
		if ls, ok := local[id]; ok {
			row.Local, row.Error = true, ls.SealError
			row.Committed, row.Sealed = max(row.Committed, ls.Committed), max(row.Sealed, ls.Sealed)
		}
		row.Unsealed = max(0, row.Committed-row.Sealed)
		out = append(out, row)
	}
	return out, nil
}

func (p *Pages) traffic(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	who := p.session(r)
	q := r.URL.Query()
	if who == "" {
		audit.Record(ctx, p.c.k.DB, actor(r, "anonymous").Entry("exchange.log.read", "exchange/log", audit.Denied, map[string]any{"via": "page"}))
		http.Redirect(w, r, "/exchange/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	v := trafficView{Who: who, Gateway: q.Get("gateway"), Client: q.Get("client"), Service: q.Get("service")}
	v.Filtered = v.Gateway != "" || v.Client != "" || v.Service != ""
	v.PageNo, _ = strconv.Atoi(q.Get("page"))
	v.PageNo = max(1, v.PageNo)
	// Reading the log is itself audited, before anything of it is shown:
	// when the audit trail cannot be written, the log is not shown.
	object := "exchange/log"
	if v.Gateway != "" {
		object += "/" + v.Gateway
	}
	if err := audit.Record(ctx, p.c.k.DB, actor(r, who).Entry("exchange.log.read", object, audit.OK,
		map[string]any{"via": "page", "client": v.Client, "service": v.Service, "page": v.PageNo})); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	reg, err := p.registry(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if v.Seals, err = p.sealStates(ctx, reg); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	for _, s := range v.Seals {
		v.Gateways = append(v.Gateways, s.Gateway)
	}
	inst := p.instance(reg)
	for _, s := range reg.Subsystems {
		v.Clients = append(v.Clients, reg.client(inst+"/"+s.Class+"/"+s.Code+"/"+s.Subsystem))
	}
	svcs, err := p.c.Services.List(ctx, "")
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	for _, s := range svcs {
		v.Services = append(v.Services, label{ID: s.Provider + "/" + s.Code, Name: s.Title})
	}
	// A value typed into the address stays selectable.
	keep := func(list []label, id string) []label {
		if id == "" {
			return list
		}
		for _, l := range list {
			if l.ID == id {
				return list
			}
		}
		return append(list, label{ID: id})
	}
	v.Gateways, v.Clients, v.Services = keep(v.Gateways, v.Gateway), keep(v.Clients, v.Client), keep(v.Services, v.Service)

	svcName := map[string]string{}
	for _, s := range v.Services {
		svcName[s.ID] = s.Name
	}
	now := p.now()
	v.Since = now.Add(-countWindow)
	f := msglog.Filter{Gateway: v.Gateway, Client: v.Client, Service: v.Service}
	cf := f
	cf.From = v.Since
	counts, err := msglog.Counts(ctx, p.c.k.DB, cf)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	for _, c := range counts {
		v.Counts = append(v.Counts, countRow{Count: c, Client: reg.client(c.Client), Service: label{ID: c.Service, Name: svcName[c.Service]}})
	}
	f.Limit, f.Offset = recordsPerPage+1, (v.PageNo-1)*recordsPerPage
	recs, err := msglog.List(ctx, p.c.k.DB, f)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	more := len(recs) > recordsPerPage
	if more {
		recs = recs[:recordsPerPage]
	}
	for _, rec := range recs {
		v.Records = append(v.Records, recordRow{Record: rec, ClientL: reg.client(rec.Client), ServiceL: label{ID: rec.Service, Name: svcName[rec.Service]},
			Failed: rec.Status >= 400 || rec.ErrorType != ""})
	}
	link := func(n int) string {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("page", strconv.Itoa(n))
		return "/exchange/traffic?" + nq.Encode()
	}
	v.Pager = web.Pager{Page: v.PageNo}
	if v.PageNo > 1 {
		v.Pager.PrevURL = link(v.PageNo - 1)
	}
	if more {
		v.Pager.NextURL = link(v.PageNo + 1)
	}
	title := web.T(lang, "exchange.traffic.title")
	p.rd.Render(w, r, http.StatusOK, "traffic.html", p.page(r, title, []web.Link{{Label: title, Href: "/exchange/traffic"}}, v))
}
