package monitor

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var pageTemplates embed.FS

//go:embed static/*
var staticFiles embed.FS

// Pages are the operations dashboard (bảng điều hành, the IOC) on the
// console under /dieu-hanh/, for officials signed in with the admin token
// like the one-stop desk's pages, and the public scoreboard of the
// Decision 766 index under /chi-so-766/, which the portal serves.
type Pages struct {
	svc      *Service
	rd       *web.Renderer
	sessions *authn.Sessions
	admin    authn.Verifier
	assets   map[string]asset
}

type asset struct {
	body        []byte
	hash, ctype string
}

// The dashboard's session and paths.
const (
	dashCookie = "vngov_dieuhanh_session"
	dashPath   = "/dieu-hanh/"
	dashTTL    = 8 * time.Hour
	boardPath  = "/chi-so-766/"
	assetPath  = "/monitor/static/"
	// deskDossierPath is where the one-stop desk shows a dossier.
	deskDossierPath = "/motcua/dossiers/"
)

// NewPages parses the templates; admin checks the sign-in token.
func NewPages(svc *Service, admin authn.Verifier, trustProxy bool) (*Pages, error) {
	p := &Pages{svc: svc, admin: admin, assets: map[string]asset{}}
	for _, name := range []string{"monitor.css", "monitor.js"} {
		b, err := staticFiles.ReadFile("static/" + name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		ct := "text/css; charset=utf-8"
		if strings.HasSuffix(name, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		p.assets[name] = asset{body: b, hash: hex.EncodeToString(sum[:6]), ctype: ct}
	}
	funcs := template.FuncMap{
		"monAsset": func(name string) string { return assetPath + name + "?v=" + p.assets[name].hash },
		"score":    func(lang string, t *float64) string { return fmtTotal(lang, t) },
		"pts":      func(lang string, x float64) string { return fmtNum(lang, x, 2) },
		"pct":      func(lang string, x float64) string { return fmtNum(lang, 100*x, 1) + "%" },
		"rate": func(lang string, x float64) string {
			if x < 0 {
				return "—"
			}
			return fmtNum(lang, x, 1) + "%"
		},
		"pick":       pickLang,
		"period":     func(lang string, pd Period) string { return pd.Name(lang) },
		"vnday":      func(t time.Time) string { return t.In(Zone).Format("02/01/2006") },
		"vntime":     func(t time.Time) string { return t.In(Zone).Format("15:04 02/01/2006") },
		"pathEscape": url.PathEscape,
		"inc":        func(i int) int { return i + 1 },
		"boardLink":  func(agency, period string) string { return withQuery(boardPath+agency, "period", period) },
		"withAgency": func(link, agency string) string {
			u, err := url.Parse(link)
			if err != nil {
				return link
			}
			q := u.Query()
			q.Set("agency", agency)
			u.RawQuery = q.Encode()
			return u.String()
		},
	}
	rd, err := web.NewRendererFuncs(pageTemplates, funcs, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("monitor: pages: %w", err)
	}
	p.rd = rd
	p.sessions = authn.NewRandomSessions(dashCookie, dashPath, dashTTL)
	p.sessions.TrustProxy = trustProxy
	return p, nil
}

func pickLang(lang, vi, en string) string {
	if lang == web.LangEN && en != "" {
		return en
	}
	return vi
}

// Routes mounts the dashboard, the scoreboard and the assets.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /dieu-hanh/signin", p.signinForm)
	mux.HandleFunc("POST /dieu-hanh/signin", p.signin)
	mux.HandleFunc("POST /dieu-hanh/signout", p.signout)
	mux.HandleFunc("GET /dieu-hanh/{$}", p.official(p.dashboard))
	mux.HandleFunc("GET /dieu-hanh/so-lieu", p.official(p.figures))
	mux.HandleFunc("GET /dieu-hanh/su-kien", p.official(p.events))
	mux.HandleFunc("GET /dieu-hanh/qua-han", p.official(p.overduePage))
	mux.HandleFunc("GET /dieu-hanh/tai-xuong", p.official(p.download))
	mux.HandleFunc("GET /dieu-hanh", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, dashPath, http.StatusMovedPermanently)
	})
	p.PublicRoutes(mux)
}

// PublicRoutes mounts the public scoreboard and the assets.
func (p *Pages) PublicRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /chi-so-766/{$}", p.scoreboard)
	mux.HandleFunc("GET /chi-so-766/{agency}", p.scoreDetail)
	mux.HandleFunc("GET /chi-so-766", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, boardPath, http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET "+assetPath+"{name}", p.asset)
}

func (p *Pages) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := p.assets[r.PathValue("name")]
	if !ok {
		web.PageNotFound.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == `"`+a.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write(a.body)
}

// ---------------------------------------------------------------- sessions

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// official wraps a dashboard page: without a session the official is sent
// to sign in and brought back.
func (p *Pages) official(next func(w http.ResponseWriter, r *http.Request, who string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		pr, err := p.sessions.Read(r)
		if err != nil {
			if r.URL.Path == "/dieu-hanh/su-kien" || r.URL.Path == "/dieu-hanh/so-lieu" {
				http.Error(w, "sign in again", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/dieu-hanh/signin?next="+url.QueryEscape(dashNext(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		next(w, r, pr.Subject)
	}
}

func dashNext(s string) string {
	return authn.SafeNext(s, dashPath, dashPath, "/dieu-hanh/signin", "/dieu-hanh/signout")
}

func (p *Pages) page(r *http.Request, title string, data any) *web.Page {
	lang := web.Lang(r)
	nav := []web.Link{
		{Label: web.T(lang, "monitor.nav.dashboard"), Href: dashPath, Current: r.URL.Path == dashPath},
		{Label: web.T(lang, "monitor.nav.overdue"), Href: "/dieu-hanh/qua-han", Current: r.URL.Path == "/dieu-hanh/qua-han"},
		{Label: web.T(lang, "monitor.nav.board"), Href: boardPath},
		{Label: web.T(lang, "monitor.nav.desk"), Href: "/motcua/"},
	}
	return &web.Page{Title: title, Service: web.T(lang, "monitor.service"), Nav: nav, Data: data}
}

type signinView struct {
	Next   string
	Errors []fault.FieldError
	Error  string
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) {
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, status, "signin.html", p.page(r, web.T(web.Lang(r), "monitor.signin.title"), v))
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, signinView{Next: dashNext(r.URL.Query().Get("next"))})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "monitor.signin.form", "Biểu mẫu đăng nhập không hợp lệ", "the sign-in form could not be read"))
		return
	}
	v := signinView{Next: dashNext(r.PostFormValue("next"))}
	// Any valid admin token will do, as on the one-stop desk's pages.
	pr, refused := authn.SignInWithToken(ctx, p.admin, r, r.PostFormValue("token"), "")
	if refused != authn.Accepted {
		audit.Record(ctx, p.svc.db, actor(r, "anonymous").Entry("monitor.signin", "dieu-hanh", audit.Denied, map[string]any{"reason": string(refused)}))
		status, f := refused.Field("", "")
		v.Errors, v.Error = []fault.FieldError{f}, pickLang(lang, f.Message, f.Detail)
		p.renderSignin(w, r, status, v)
		return
	}
	if err := audit.Record(ctx, p.svc.db, actor(r, pr.Subject).Entry("monitor.signin", "dieu-hanh", audit.OK, nil)); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, &authn.Principal{Subject: pr.Subject, Roles: pr.Roles})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	if pr, err := p.sessions.Read(r); err == nil {
		audit.Record(r.Context(), p.svc.db, actor(r, pr.Subject).Entry("monitor.signout", "dieu-hanh", audit.OK, nil))
	}
	p.sessions.Clear(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/dieu-hanh/signin", http.StatusSeeOther)
}

// ---------------------------------------------------------------- choices

type option struct {
	Value, Label string
	Selected     bool
}

type optGroup struct {
	Label   string
	Options []option
}

// choice reads the scope and period of a request, with the errors of bad
// values (the defaults are used instead).
func (p *Pages) choice(r *http.Request) (Scope, Period, []fault.FieldError) {
	q := r.URL.Query()
	var errs []fault.FieldError
	sc, err := ParseScope(q.Get("agency"))
	if err != nil {
		errs = append(errs, fieldErrors(err)...)
		sc = Scope{}
	}
	pd, err := p.svc.periodOrCurrent(q.Get("period"))
	if err != nil {
		errs = append(errs, fieldErrors(err)...)
		pd = MonthPeriod(p.svc.now())
	}
	return sc, pd, errs
}

func fieldErrors(err error) []fault.FieldError {
	if f := fault.As(err); f != nil && len(f.Fields) > 0 {
		return f.Fields
	}
	return []fault.FieldError{{Field: "", Code: "invalid", Message: err.Error()}}
}

// scopeOptions offers the whole country, the provinces, the ministries and
// the other agencies of the catalog.
func (p *Pages) scopeOptions(ctx context.Context, lang, current string) ([]optGroup, error) {
	dir, err := p.svc.directory(ctx)
	if err != nil {
		return nil, err
	}
	all := optGroup{Label: web.T(lang, "monitor.scope.all"), Options: []option{{Value: "", Label: dir.name("", lang), Selected: current == ""}}}
	provs := optGroup{Label: web.T(lang, "monitor.scope.provinces")}
	seen := map[string]bool{"": true}
	for _, pr := range dir.provinces {
		if pr.Agency == "" {
			continue
		}
		seen[pr.Agency] = true
		provs.Options = append(provs.Options, option{Value: pr.Agency, Label: pr.Name, Selected: current == pr.Agency})
	}
	var mins, others optGroup
	mins.Label, others.Label = web.T(lang, "monitor.scope.ministries"), web.T(lang, "monitor.scope.agencies")
	codes := make([]string, 0, len(dir.agencies))
	for c := range dir.agencies {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		if seen[c] {
			continue
		}
		seen[c] = true
		o := option{Value: c, Label: dir.name(c, lang), Selected: current == c}
		if sc, _ := ParseScope(c); sc.Level == 1 {
			mins.Options = append(mins.Options, o)
		} else {
			o.Label += " (" + c + ")"
			others.Options = append(others.Options, o)
		}
	}
	if !seen[current] {
		others.Options = append(others.Options, option{Value: current, Label: current, Selected: true})
	}
	out := []optGroup{all, provs}
	for _, g := range []optGroup{mins, others} {
		if len(g.Options) > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

// periodOptions offers the last twelve months, four quarters and two
// years.
func (p *Pages) periodOptions(lang string, current Period) []option {
	now := p.svc.now().In(Zone)
	var out []option
	add := func(pd Period) {
		out = append(out, option{Value: pd.Code, Label: pd.Name(lang), Selected: pd.Code == current.Code})
	}
	m := MonthPeriod(now)
	for i := 0; i < 12; i++ {
		add(m)
		m = m.Previous()
	}
	q, _ := ParsePeriod(fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3))
	for i := 0; i < 4; i++ {
		add(q)
		q = q.Previous()
	}
	y, _ := ParsePeriod(strconv.Itoa(now.Year()))
	add(y)
	add(y.Previous())
	for _, o := range out {
		if o.Selected {
			return out
		}
	}
	return append(out, option{Value: current.Code, Label: current.Name(lang), Selected: true})
}
