package portal

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Options configure a Portal.
type Options struct {
	Procedures Procedures
	Dossiers   Dossiers
	// OIDC is the portal's client at the identity provider.
	OIDC OIDC
	// SessionKey signs the session cookie (at least 32 bytes; nodes of
	// one portal share it). Empty: a random key, sessions end with the
	// process.
	SessionKey []byte
	// TrustProxy marks cookies Secure behind an HTTPS proxy.
	TrustProxy bool
}

// New returns the portal's pages over the store's drafts (the portal's
// migrations applied).
func New(db *store.DB, opt Options) (*Portal, error) {
	rd, err := web.NewRendererFuncs(templateFiles, template.FuncMap{"money": money, "sourceLabel": sourceLabel, "deref": deref, "inc": func(i int) int { return i + 1 },
		"kb": kb, "statusOf": statusOf}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("portal: pages: %w", err)
	}
	key := opt.SessionKey
	if len(key) == 0 {
		key = []byte(randomToken() + randomToken())
	}
	a, err := newAuth(opt.OIDC, key, rd, opt.TrustProxy)
	if err != nil {
		return nil, err
	}
	return &Portal{procs: opt.Procedures, dossiers: opt.Dossiers, drafts: &drafts{db: db, now: time.Now}, rd: rd, auth: a,
		lookups: newLookupLimiter(db)}, nil
}

// money writes an amount of đồng: 100.000 đ (Vietnamese), 100,000 VND.
func money(lang string, v int64) string {
	s := strconv.FormatInt(v, 10)
	var b strings.Builder
	sep := "."
	if lang == web.LangEN {
		sep = ","
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	if lang == web.LangEN {
		return b.String() + " VND"
	}
	return b.String() + " đồng"
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// kb writes a file size in kilobytes (at least 1).
func kb(n int64) string { return strconv.FormatInt(max(1, (n+1023)/1024), 10) + " KB" }

// statusTagged is what the "portal.status" template shows.
type statusTagged struct {
	Status int
	Tag    string
}

func statusOf(s dossier.Status) statusTagged { return statusTagged{Status: int(s), Tag: statusTag(s)} }

// sourceLabel names a prefill source in lang.
func sourceLabel(lang, src string) string {
	switch src {
	case SourceRegistry:
		return web.T(lang, "portal.source.registry")
	case SourceAccount:
		return web.T(lang, "portal.source.account")
	}
	return ""
}

// nav is the main navigation, with sign-in or sign-out.
func nav(r *http.Request, c *Citizen) []web.Link {
	lang, path := web.Lang(r), r.URL.Path
	links := []web.Link{
		{Label: web.T(lang, "portal.nav.home"), Href: "/", Current: path == "/"},
		{Label: web.T(lang, "portal.nav.procedures"), Href: "/thu-tuc", Current: strings.HasPrefix(path, "/thu-tuc")},
		{Label: web.T(lang, "portal.nav.lookup"), Href: "/tra-cuu", Current: path == "/tra-cuu"},
		{Label: web.T(lang, "portal.nav.mine"), Href: "/ho-so", Current: strings.HasPrefix(path, "/ho-so")},
		{Label: web.T(lang, "portal.nav.wallet"), Href: "/kho-du-lieu/", Current: strings.HasPrefix(path, "/kho-du-lieu")},
	}
	if c != nil {
		links = append(links, web.Link{Label: web.T(lang, "portal.nav.signout"), Href: "/dang-xuat", Current: path == "/dang-xuat"})
	} else {
		links = append(links, web.Link{Label: web.T(lang, "portal.nav.signin"), Href: signinURL(r.URL.RequestURI(), 1)})
	}
	return links
}

// page builds the layout's data: the portal's navigation and breadcrumbs
// under the home page.
func (p *Portal) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	var who *Citizen
	if c, ok := p.Citizen(r); ok {
		who = &c
	}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "portal.nav.home"), Href: "/"}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "portal.service"), Nav: nav(r, who), Breadcrumbs: crumbs, Data: data}
}

// ------------------------------------------------------------------ home

type homeView struct {
	Popular []procedure.Summary
	Total   int
	Who     *Citizen
}

func (p *Portal) home(w http.ResponseWriter, r *http.Request) {
	p.visit("/")
	sums, total, err := p.procs.Search(r.Context(), procedure.Query{Limit: 6})
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := homeView{Popular: sums, Total: total}
	if c, ok := p.Citizen(r); ok {
		v.Who = &c
	}
	pg := p.page(r, "", nil, v)
	p.rd.Render(w, r, http.StatusOK, "home.html", pg)
}

// ---------------------------------------------------------------- search

// perPage is how many procedures a search page lists.
const perPage = 10

type searchView struct {
	Q       string
	Results []procedure.Summary
	Total   int
	Pager   web.Pager
}

func (p *Portal) search(w http.ResponseWriter, r *http.Request) {
	p.visit("/thu-tuc")
	lang, q := web.Lang(r), r.URL.Query()
	v := searchView{Q: strings.TrimSpace(q.Get("q"))}
	if len([]rune(v.Q)) > 200 {
		v.Q = string([]rune(v.Q)[:200])
	}
	pageNo, _ := strconv.Atoi(q.Get("trang"))
	pageNo = max(pageNo, 1)
	res, total, err := p.procs.Search(r.Context(), procedure.Query{Q: v.Q, Limit: perPage, Offset: (pageNo - 1) * perPage})
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Results, v.Total = res, total
	pages := (total + perPage - 1) / perPage
	link := func(n int) string {
		nq := url.Values{}
		if v.Q != "" {
			nq.Set("q", v.Q)
		}
		nq.Set("trang", strconv.Itoa(n))
		return "/thu-tuc?" + nq.Encode()
	}
	if pageNo > 1 {
		v.Pager.PrevURL = link(pageNo - 1)
	}
	if pageNo < pages {
		v.Pager.NextURL = link(pageNo + 1)
	}
	if pages > 1 {
		v.Pager.Page, v.Pager.Pages = pageNo, pages
	}
	title := web.T(lang, "portal.search.title")
	if v.Q != "" {
		title = web.T(lang, "portal.search.title_q", v.Q)
	}
	p.rd.Render(w, r, http.StatusOK, "search.html", p.page(r, title, []web.Link{{Label: web.T(lang, "portal.nav.procedures"), Href: "/thu-tuc"}}, v))
}

// ------------------------------------------------------------- procedure

var procCodeRE = regexp.MustCompile(`^[0-9]{1,2}\.[0-9]{6}$`)

// procedureFor reads the procedure in the request's path; a malformed or
// unknown code is the same "not found".
func (p *Portal) procedureFor(r *http.Request) (procedure.Procedure, error) {
	code := r.PathValue("code")
	if !procCodeRE.MatchString(code) {
		return procedure.Procedure{}, errNoProcedure(code)
	}
	pr, err := p.procs.Get(r.Context(), code)
	if fault.Is(err, fault.NotFound) {
		return pr, errNoProcedure(code)
	}
	return pr, err
}

func errNoProcedure(code string) error {
	if len(code) > 20 {
		code = code[:20]
	}
	return fault.NotFoundf("portal.procedure_not_found", "Không tìm thấy thủ tục hành chính có mã “"+code+"”. Hãy tìm thủ tục theo tên tại trang Thủ tục hành chính.", "no procedure %q", code)
}

// docView is a procedure's document in plain language.
type docView struct {
	Code, Name, Template string
	Copies               int
	Original, Required   bool
	EForm                bool   // filled in as the e-form when filing online
	From                 string // where the data is taken instead ("population", "land", "enterprise", "wallet:<type>")
}

// isEForm reports whether doc i of p is the application form itself,
// which online filing replaces with the e-form: the first document, a
// required one with a template (tờ khai, đơn, giấy đề nghị).
func isEForm(p procedure.Procedure, i int) bool {
	return i == 0 && len(p.Documents) > 0 && p.Documents[0].Required && p.Documents[0].Template != "" && len(p.Form) > 0
}

func docViews(p procedure.Procedure) []docView {
	var out []docView
	for i, d := range p.Documents {
		v := docView{Code: d.Code, Name: d.Name, Template: d.Template, Copies: d.Copies, Original: d.Original, Required: d.Required, EForm: isEForm(p, i)}
		if src, ok := strings.CutPrefix(d.ReplacedBy, "registry:"); ok {
			v.From = src
		} else if strings.HasPrefix(d.ReplacedBy, "wallet:") {
			v.From = "wallet"
		}
		out = append(out, v)
	}
	return out
}

type procedureView struct {
	P        procedure.Procedure
	Docs     []docView
	Level    int
	Online   bool
	FeeTotal int64
	Who      *Citizen
	Agencies []Agency
}

// feeTotal is what a dossier filed online owes in all.
func feeTotal(p procedure.Procedure) int64 {
	var sum int64
	for _, f := range p.Fees {
		if f.Online != nil {
			sum += *f.Online
		} else {
			sum += f.Amount
		}
	}
	return sum
}

func (p *Portal) procedurePage(w http.ResponseWriter, r *http.Request) {
	pr, err := p.procedureFor(r)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.visit("/thu-tuc/" + pr.Code)
	v := procedureView{P: pr, Docs: docViews(pr), Level: max(1, levelOf(pr.Assurance)), FeeTotal: feeTotal(pr),
		Online: pr.OnlineLevel == "full" || pr.OnlineLevel == "partial", Agencies: p.agenciesFor(pr)}
	if c, ok := p.Citizen(r); ok {
		v.Who = &c
	}
	p.rd.Render(w, r, http.StatusOK, "procedure.html", p.page(r, pr.Name, []web.Link{
		{Label: web.T(web.Lang(r), "portal.nav.procedures"), Href: "/thu-tuc"}, {Label: pr.Name, Href: "/thu-tuc/" + pr.Code}}, v))
}

// agenciesFor lists the agencies that receive a procedure's dossiers
// online: those of the procedure's levels.
func (p *Portal) agenciesFor(pr procedure.Procedure) []Agency {
	var out []Agency
	for _, a := range p.Agencies {
		for _, l := range pr.Levels {
			if a.Level == l {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func (p *Portal) agencyName(code string) string {
	for _, a := range p.Agencies {
		if a.Code == code {
			return a.Name
		}
	}
	return code
}

// specs caches parsed e-forms by procedure code and version (published
// versions never change).
var specs sync.Map

func formOf(pr procedure.Procedure) (*formSpec, error) {
	key := pr.Code + "@" + strconv.Itoa(pr.Version)
	if v, ok := specs.Load(key); ok {
		return v.(*formSpec), nil
	}
	f, err := parseForm(pr.Form, pr.FormUI)
	if err != nil {
		return nil, err
	}
	specs.Store(key, f)
	return f, nil
}

// ctxTimeout bounds calls to other systems made while a page waits.
func ctxTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, 15*time.Second)
}
