package backend

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/registry/population"
)

//go:embed templates/*.html
var pageTemplates embed.FS

// Pages are the registry clerks' pages (trang nghiệp vụ của cán bộ quản
// lý cơ sở dữ liệu dân cư), under /registry/ on the console: find people,
// read a record and its history, register a person and change a record.
// Every page needs a clerk's session; every read and write goes through
// the population service, which audits it.
type Pages struct {
	c   *Component
	rd  *web.Renderer
	cat *catalog.Service
	// sessions keep clerks signed in, with a key random per process: a
	// sign-in holds on every /registry/ page of this process until it
	// restarts. The identity provider replaces this with real sessions.
	sessions *authn.Sessions
}

// Session cookie of the clerks' pages.
const (
	sessionCookie = "vngov_registry_session"
	sessionPath   = "/registry/"
	sessionTTL    = 8 * time.Hour
)

// personsPerPage is the search results' page length.
const personsPerPage = 20

// searchCap is where the search stops counting (population.Search).
const searchCap = 10001

// NewPages parses the page templates. Codes are named from the e-catalogs
// in this process's store (the same store Start seeds).
func NewPages(c *Component) (*Pages, error) {
	rd, err := web.NewRendererFuncs(pageTemplates, template.FuncMap{"vnday": displayDay}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("registry: pages: %w", err)
	}
	s := authn.NewRandomSessions(sessionCookie, sessionPath, sessionTTL)
	s.TrustProxy = c.k.Config.TrustProxy
	return &Pages{c: c, rd: rd, cat: catalog.New(c.k.DB, c.k.Log), sessions: s}, nil
}

// Routes mounts the pages on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /registry/signin", p.signinForm)
	mux.HandleFunc("POST /registry/signin", p.signin)
	mux.HandleFunc("POST /registry/signout", p.signout)
	mux.HandleFunc("GET /registry/{$}", p.clerk(p.search))
	mux.HandleFunc("GET /registry/persons/new", p.clerk(p.newForm))
	mux.HandleFunc("POST /registry/persons/new", p.clerk(p.create))
	mux.HandleFunc("GET /registry/persons/{id}", p.clerk(p.person))
	mux.HandleFunc("GET /registry/persons/{id}/edit", p.clerk(p.editForm))
	mux.HandleFunc("POST /registry/persons/{id}/edit", p.clerk(p.update))
	mux.HandleFunc("GET /registry", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/registry/", http.StatusMovedPermanently)
	})
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	path := r.URL.Path
	nav := []web.Link{
		{Label: web.T(lang, "registry.nav.search"), Href: "/registry/", Current: path == "/registry/" || path == "/registry/signin"},
		{Label: web.T(lang, "registry.nav.new"), Href: "/registry/persons/new", Current: path == "/registry/persons/new"},
	}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "registry.crumb"), Href: "/registry/"}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "registry.service"), Nav: nav, Breadcrumbs: crumbs, Data: data}
}

// msg picks a fault's text in the page's language.
func msg(lang, vi, en string) string {
	if lang == web.LangEN && en != "" {
		return en
	}
	return vi
}

// displayDay shows a full or partial YYYY-MM-DD date as people in Vietnam
// write it: 12/05/1989, 05/1989 or 1989.
func displayDay(d string) string {
	switch len(d) {
	case 10:
		return d[8:10] + "/" + d[5:7] + "/" + d[0:4]
	case 7:
		return d[5:7] + "/" + d[0:4]
	}
	return d
}

var (
	vnDate      = regexp.MustCompile(`^(\d{1,2})/(\d{1,2})/(\d{4})$`)
	vnMonth     = regexp.MustCompile(`^(\d{1,2})/(\d{4})$`)
	isoDateLike = regexp.MustCompile(`^\d{4}(-\d{2}(-\d{2})?)?$`)
)

// isoDay reads a date typed the Vietnamese way (12/05/1989, 05/1989) as
// YYYY-MM-DD or YYYY-MM; anything else is returned as typed, for the
// registry to judge.
func isoDay(s string) string {
	s = strings.TrimSpace(s)
	if m := vnDate.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("%s-%02s-%02s", m[3], m[2], m[1])
	}
	if m := vnMonth.FindStringSubmatch(s); m != nil {
		return fmt.Sprintf("%s-%02s", m[2], m[1])
	}
	return s
}

// ---------------------------------------------------------------- sessions

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// clerk wraps a page that needs a registry clerk's session: without one,
// the clerk is sent to sign in and brought back.
func (p *Pages) clerk(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		pr, err := p.sessions.Read(r)
		if err != nil || !pr.Has(authn.RoleRegistryClerk) {
			audit.Record(r.Context(), p.c.k.DB, actor(r, "anonymous").Entry("registry.clerk", "registry"+r.URL.Path, audit.Denied, map[string]any{"method": r.Method, "via": "page"}))
			w.Header().Set("Cache-Control", "no-store")
			http.Redirect(w, r, "/registry/signin?next="+url.QueryEscape(safeNext(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		// Personal data: never kept by a browser's or a proxy's cache.
		w.Header().Set("Cache-Control", "no-store")
		next(w, r, actor(r, pr.Subject))
	}
}

// safeNext keeps a post-sign-in destination on these pages.
func safeNext(s string) string {
	return authn.SafeNext(s, "/registry/", "/registry/", "/registry/signin", "/registry/signout")
}

type signinView struct {
	Next   string
	Errors []fault.FieldError
	Error  string
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) {
	lang := web.Lang(r)
	w.Header().Set("Cache-Control", "no-store")
	title := web.T(lang, "registry.signin.title")
	p.rd.Render(w, r, status, "signin.html", p.page(r, title, []web.Link{{Label: title, Href: "/registry/signin"}}, v))
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, signinView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "registry.signin.form", "Biểu mẫu đăng nhập không hợp lệ", "the sign-in form could not be read"))
		return
	}
	v := signinView{Next: safeNext(r.PostFormValue("next"))}
	pr, refused := authn.SignInWithToken(ctx, p.c.k.Admin, r, r.PostFormValue("token"), authn.RoleRegistryClerk)
	if refused != authn.Accepted {
		who := "anonymous"
		if pr != nil {
			who = pr.Subject
		}
		audit.Record(ctx, p.c.k.DB, actor(r, who).Entry("registry.signin", "registry", audit.Denied, map[string]any{"reason": string(refused)}))
		status, f := refused.Field("cán bộ quản lý cơ sở dữ liệu dân cư", "registry-clerk")
		v.Errors, v.Error = []fault.FieldError{f}, msg(lang, f.Message, f.Detail)
		p.renderSignin(w, r, status, v)
		return
	}
	if err := audit.Record(ctx, p.c.k.DB, actor(r, pr.Subject).Entry("registry.signin", "registry", audit.OK, nil)); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, pr)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	if pr, err := p.sessions.Read(r); err == nil {
		audit.Record(r.Context(), p.c.k.DB, actor(r, pr.Subject).Entry("registry.signout", "registry", audit.OK, nil))
	}
	p.sessions.Clear(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/registry/signin", http.StatusSeeOther)
}

// ---------------------------------------------------------------- catalog names

// item is a catalog code's version in force today, or its last one for a
// code since retired (such as a commune before the 2025 merger).
func (p *Pages) item(ctx context.Context, list, code string) (catalog.Item, bool) {
	if code == "" {
		return catalog.Item{}, false
	}
	if it, err := p.cat.Item(ctx, list, code, ""); err == nil {
		return it, true
	}
	hist, err := p.cat.History(ctx, list, code)
	if err != nil || len(hist) == 0 {
		return catalog.Item{}, false
	}
	return hist[len(hist)-1], true
}

// codeName names a catalog code in lang; "" when the catalog does not
// know it.
func (p *Pages) codeName(ctx context.Context, lang, list, code string) string {
	it, ok := p.item(ctx, list, code)
	if !ok {
		return ""
	}
	return msg(lang, it.Name, it.NameEn)
}

// unitName names a commune with its province: "Phường Ba Đình, Thành phố Hà Nội".
func (p *Pages) unitName(ctx context.Context, lang, code string) string {
	it, ok := p.item(ctx, "admin-units", code)
	if !ok {
		return ""
	}
	n := msg(lang, it.Name, it.NameEn)
	if pn := p.codeName(ctx, lang, "admin-units", it.Parent); pn != "" {
		n += ", " + pn
	}
	return n
}

// options lists a catalog's items in force today for a select, keeping the
// current value selectable when the catalog no longer has it.
func (p *Pages) options(ctx context.Context, lang, list, current string) []option {
	items, _, err := p.cat.Export(ctx, list, "")
	out := []option{{Value: "", Label: web.T(lang, "registry.choose"), Selected: current == ""}}
	found := current == ""
	if err == nil {
		for _, it := range items {
			out = append(out, option{Value: it.Code, Label: msg(lang, it.Name, it.NameEn), Selected: it.Code == current})
			found = found || it.Code == current
		}
	}
	if !found {
		out = append(out, option{Value: current, Label: current, Selected: true})
	}
	return out
}

// fixedOptions are a select's options from message keys prefix.VALUE.
func fixedOptions(lang, prefix, current string, values ...string) []option {
	out := []option{{Value: "", Label: web.T(lang, "registry.choose"), Selected: current == ""}}
	found := current == ""
	for _, v := range values {
		out = append(out, option{Value: v, Label: web.T(lang, prefix+v), Selected: v == current})
		found = found || v == current
	}
	if !found {
		out = append(out, option{Value: current, Label: current, Selected: true})
	}
	return out
}

// ---------------------------------------------------------------- search

type searchView struct {
	Who       string
	Name      string
	BirthDate string
	Commune   string
	Searched  bool
	Fields    []formField
	Errors    []fault.FieldError
	Total     int
	More      bool // more than searchCap-1 found
	Rows      []searchRow
	Pager     web.Pager
}

type searchRow struct {
	population.Summary
	Href        string
	CommuneName string
}

func (p *Pages) search(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	ctx, lang := r.Context(), web.Lang(r)
	q := r.URL.Query()
	v := searchView{Who: who.Subject, Name: strings.TrimSpace(q.Get("name")), BirthDate: strings.TrimSpace(q.Get("birth_date")), Commune: strings.TrimSpace(q.Get("commune"))}
	title := web.T(lang, "registry.search.title")
	v.Searched = v.Name != "" || v.BirthDate != "" || v.Commune != ""
	birth := isoDay(v.BirthDate)
	if birth != "" && !isoDateLike.MatchString(birth) {
		v.Errors = append(v.Errors, fault.FieldError{Field: "birth_date", Code: "birth_date.format",
			Message: "Ngày sinh phải có dạng NN/TT/NNNN, TT/NNNN hoặc NNNN (ví dụ 12/05/1989)", Detail: "birth date must be DD/MM/YYYY, MM/YYYY or YYYY (e.g. 12/05/1989)"})
	}
	if v.Commune != "" && !isDigits(v.Commune) {
		v.Errors = append(v.Errors, fault.FieldError{Field: "commune", Code: "commune.format",
			Message: "Mã xã, phường chỉ gồm chữ số (ví dụ 00004)", Detail: "a commune code is digits only (e.g. 00004)"})
	}
	v.Fields = searchFields(lang, v)
	if len(v.Errors) > 0 || !v.Searched {
		status := http.StatusOK
		if len(v.Errors) > 0 {
			status = http.StatusUnprocessableEntity
		}
		p.rd.Render(w, r, status, "search.html", p.page(r, title, nil, v))
		return
	}
	pageNo, _ := strconv.Atoi(q.Get("page"))
	pageNo = max(1, pageNo)
	items, total, err := p.c.Population.Search(ctx, v.Name, birth, v.Commune, personsPerPage, (pageNo-1)*personsPerPage)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	// The list shows names and birth dates: the search is a read, audited
	// before anything is shown.
	if err := audit.Record(ctx, p.c.k.DB, who.Entry("population.search", "population", audit.OK,
		map[string]any{"name": v.Name, "birth_date": birth, "commune": v.Commune, "page": pageNo, "results": len(items), "via": "page"})); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Total, v.More = total, total >= searchCap
	if v.More {
		v.Total = searchCap - 1
	}
	for _, it := range items {
		v.Rows = append(v.Rows, searchRow{Summary: it, Href: "/registry/persons/" + url.PathEscape(it.ID), CommuneName: p.unitName(ctx, lang, it.Commune)})
	}
	pages := (v.Total + personsPerPage - 1) / personsPerPage
	v.Pager = web.Pager{Page: pageNo, Pages: pages}
	link := func(n int) string {
		nq := url.Values{}
		for _, k := range []string{"name", "birth_date", "commune"} {
			if s := q.Get(k); s != "" {
				nq.Set(k, s)
			}
		}
		nq.Set("page", strconv.Itoa(n))
		return "/registry/?" + nq.Encode()
	}
	if pageNo > 1 {
		v.Pager.PrevURL = link(pageNo - 1)
	}
	if pageNo < pages {
		v.Pager.NextURL = link(pageNo + 1)
	}
	p.rd.Render(w, r, http.StatusOK, "search.html", p.page(r, title, nil, v))
}

// searchFields are the search form's inputs, with their errors.
func searchFields(lang string, v searchView) []formField {
	byField := map[string][]string{}
	for _, e := range v.Errors {
		byField[e.Field] = append(byField[e.Field], msg(lang, e.Message, e.Detail))
	}
	field := func(name, value, inputMode string) formField {
		return formField{Name: name, Label: web.T(lang, "registry.search."+name), Hint: web.T(lang, "registry.search."+name+".hint"),
			Value: value, Type: "search", Errors: byField[name], Autocomplete: "off", InputMode: inputMode}
	}
	return []formField{field("name", v.Name, ""), field("birth_date", v.BirthDate, ""), field("commune", v.Commune, "numeric")}
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// ---------------------------------------------------------------- person

type personView struct {
	Who      string
	Person   population.Person
	EditHref string
	Facts    []fact
	History  []historyRow
}

// fact is one line of the record: a label and a value, with a code and a
// link where there is one.
type fact struct {
	Label string
	Value string
	Code  string
	Href  string
}

// historyRow is one version of the record in the history table.
type historyRow struct {
	Version   int
	ValidFrom string
	Reason    string
	Author    string
	Created   time.Time
	Changed   string // the fields that differ from the version before
}

func (p *Pages) person(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	ctx, lang, id := r.Context(), web.Lang(r), r.PathValue("id")
	rec, err := p.c.Population.Lookup(ctx, who, id)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	hist, err := p.c.Population.History(ctx, id)
	if err == nil {
		err = audit.Record(ctx, p.c.k.DB, who.Entry("population.history", "population/"+id, audit.OK, map[string]any{"via": "page"}))
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := personView{Who: who.Subject, Person: rec, EditHref: "/registry/persons/" + url.PathEscape(id) + "/edit"}
	T := func(key string) string { return web.T(lang, key) }
	code := func(label, list, c string) fact {
		return fact{Label: label, Value: p.codeName(ctx, lang, list, c), Code: c}
	}
	place := func(label string, a population.Address) fact {
		parts := []string{}
		if a.Street != "" {
			parts = append(parts, a.Street)
		}
		if n := p.unitName(ctx, lang, a.Commune); n != "" {
			parts = append(parts, n)
		}
		return fact{Label: label, Value: strings.Join(parts, ", "), Code: a.Commune}
	}
	relative := func(label, rid string) fact {
		if rid == "" {
			return fact{Label: label}
		}
		f := fact{Label: label, Code: rid, Href: "/registry/persons/" + url.PathEscape(rid)}
		// The relative's name is a read of their record: audited as one.
		if rel, err := p.c.Population.Lookup(ctx, who, rid); err == nil {
			f.Value = rel.FullName
		}
		return f
	}
	status := T("registry.status." + rec.Status)
	if rec.Status == population.Deceased && rec.DeathDate != "" {
		status += " (" + T("registry.field.death_date") + " " + displayDay(rec.DeathDate) + ")"
	}
	v.Facts = []fact{
		{Label: T("registry.field.full_name"), Value: rec.FullName},
		{Label: T("registry.field.id"), Code: rec.ID},
		{Label: T("registry.field.birth_date"), Value: displayDay(rec.BirthDate)},
		{Label: T("registry.field.sex"), Value: T("registry.sex." + rec.Sex)},
		code(T("registry.field.ethnicity"), "ethnic-groups", rec.Ethnicity),
		code(T("registry.field.religion"), "religions", rec.Religion),
		code(T("registry.field.nationality"), "countries", rec.Nationality),
		{Label: T("registry.field.birth_registration_place"), Value: p.unitName(ctx, lang, rec.BirthPlace), Code: rec.BirthPlace},
		{Label: T("registry.field.home_town"), Value: p.unitName(ctx, lang, rec.HomeTown), Code: rec.HomeTown},
		place(T("registry.field.permanent_residence"), rec.Permanent),
		place(T("registry.field.current_residence"), rec.Current),
		{Label: T("registry.field.household_id"), Code: rec.HouseholdID},
		{Label: T("registry.field.relation_to_head"), Value: rec.RelationToHead},
		relative(T("registry.field.father_id"), rec.FatherID),
		relative(T("registry.field.mother_id"), rec.MotherID),
		relative(T("registry.field.spouse_id"), rec.SpouseID),
		{Label: T("registry.field.marital_status"), Value: T("registry.marital." + rec.MaritalStatus)},
		{Label: T("registry.field.status"), Value: status},
	}
	for i, h := range hist {
		row := historyRow{Version: h.Version, ValidFrom: h.ValidFrom, Reason: h.Reason, Author: h.Author, Created: h.Created}
		if i+1 < len(hist) {
			row.Changed = changedLabels(lang, hist[i+1].Person, h.Person)
		} else {
			row.Changed = T("registry.history.created")
		}
		v.History = append(v.History, row)
	}
	p.rd.Render(w, r, http.StatusOK, "person.html", p.page(r, rec.FullName, []web.Link{{Label: rec.FullName, Href: r.URL.Path}}, v))
}

// changedLabels names, in lang, the fields that differ between two
// versions of a record.
func changedLabels(lang string, a, b population.Person) string {
	flat := func(p population.Person) map[string]string {
		p.Version, p.ValidFrom = 0, ""
		raw, _ := json.Marshal(p)
		var m map[string]json.RawMessage
		json.Unmarshal(raw, &m)
		out := map[string]string{}
		for k, v := range m {
			out[k] = string(v)
		}
		return out
	}
	fa, fb := flat(a), flat(b)
	var names []string
	for _, f := range personFields {
		if fa[f] != fb[f] {
			names = append(names, web.T(lang, "registry.field."+f))
		}
	}
	return strings.Join(names, ", ")
}

// personFields are the record's JSON fields in the order the pages show them.
var personFields = []string{"id", "full_name", "birth_date", "sex", "ethnicity", "religion", "nationality", "birth_registration_place", "home_town",
	"permanent_residence", "current_residence", "household_id", "relation_to_head", "father_id", "mother_id", "spouse_id", "marital_status", "status", "death_date"}

// ---------------------------------------------------------------- forms

type formView struct {
	Who       string
	New       bool
	Action    string
	CancelURL string
	ID        string
	Name      string
	Version   int
	Errors    []fault.FieldError
	Conflict  bool   // someone else saved first
	Notice    string // the registry's refusal that is not about a field
	Fieldsets []fieldset
}

type fieldset struct {
	Legend string
	Fields []formField
}

type formField struct {
	Name         string // the field as the registry names it: the input's id and name
	Label        string
	Hint         string
	Value        string
	Type         string // text, select
	Options      []option
	Errors       []string
	Autocomplete string
	InputMode    string
}

type option struct {
	Value    string
	Label    string
	Selected bool
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

// formInput is what the form holds, as typed.
type formInput struct {
	Person  population.Person
	Birth   string // birth and death dates as typed
	Death   string
	Reason  string
	Version int
}

func inputOf(p population.Person) formInput {
	return formInput{Person: p, Birth: displayDay(p.BirthDate), Death: displayDay(p.DeathDate), Version: p.Version}
}

// readForm reads the posted form into a record (dates typed the
// Vietnamese way are converted for the registry).
func readForm(r *http.Request) formInput {
	g := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	in := formInput{Birth: g("birth_date"), Death: g("death_date"), Reason: g("reason")}
	in.Version, _ = strconv.Atoi(g("version"))
	in.Person = population.Person{
		ID: g("id"), FullName: strings.Join(strings.Fields(g("full_name")), " "), BirthDate: isoDay(in.Birth), Sex: g("sex"),
		Ethnicity: g("ethnicity"), Religion: g("religion"), Nationality: strings.ToUpper(g("nationality")),
		BirthPlace: g("birth_registration_place"), HomeTown: g("home_town"),
		Permanent:   population.Address{Commune: g("permanent_residence.commune"), Street: g("permanent_residence.street")},
		Current:     population.Address{Commune: g("current_residence.commune"), Street: g("current_residence.street")},
		HouseholdID: g("household_id"), RelationToHead: g("relation_to_head"),
		FatherID: g("father_id"), MotherID: g("mother_id"), SpouseID: g("spouse_id"),
		MaritalStatus: g("marital_status"), Status: g("status"), DeathDate: isoDay(in.Death),
	}
	return in
}

// form builds the form's fields from in, with errs next to their fields.
func (p *Pages) form(ctx context.Context, lang string, isNew bool, in formInput, errs []fault.FieldError) []fieldset {
	byField := map[string][]string{}
	for _, e := range errs {
		byField[e.Field] = append(byField[e.Field], msg(lang, e.Message, e.Detail))
	}
	T := func(key string) string { return web.T(lang, key) }
	rec := in.Person
	f := func(name, value string) formField {
		hint := web.T(lang, "registry.hint."+name)
		if hint == "registry.hint."+name {
			hint = ""
		}
		label := T("registry.field." + name)
		return formField{Name: name, Label: label, Hint: hint, Value: value, Type: "text", Errors: byField[name]}
	}
	code := func(name, value string) formField {
		x := f(name, value)
		x.InputMode, x.Autocomplete = "numeric", "off"
		return x
	}
	sel := func(name string, opts []option) formField {
		x := f(name, "")
		x.Type, x.Options = "select", opts
		return x
	}
	id := code("id", rec.ID)
	if !isNew {
		id.Type = "readonly"
	}
	name := f("full_name", rec.FullName)
	name.Autocomplete = "off"
	birth := f("birth_date", in.Birth)
	birth.Autocomplete = "off"
	nat := f("nationality", rec.Nationality)
	nat.Autocomplete = "off"
	current := []formField{code("current_residence.commune", rec.Current.Commune), f("current_residence.street", rec.Current.Street)}
	if isNew {
		current[0].Hint = T("registry.hint.current_new")
	}
	household := code("household_id", rec.HouseholdID)
	household.InputMode = ""
	if isNew {
		household.Hint = T("registry.hint.household_new")
	}
	death := f("death_date", in.Death)
	death.Autocomplete = "off"
	reason := f("reason", in.Reason)
	reason.Type = "textarea"
	return []fieldset{
		{Legend: T("registry.legend.identity"), Fields: []formField{id, name, birth,
			sel("sex", fixedOptions(lang, "registry.sex.", rec.Sex, population.Male, population.Female)),
			sel("ethnicity", p.options(ctx, lang, "ethnic-groups", rec.Ethnicity)),
			sel("religion", p.options(ctx, lang, "religions", rec.Religion)),
			nat}},
		{Legend: T("registry.legend.origin"), Fields: []formField{code("birth_registration_place", rec.BirthPlace), code("home_town", rec.HomeTown)}},
		{Legend: T("registry.field.permanent_residence"), Fields: []formField{code("permanent_residence.commune", rec.Permanent.Commune), f("permanent_residence.street", rec.Permanent.Street)}},
		{Legend: T("registry.field.current_residence"), Fields: current},
		{Legend: T("registry.legend.family"), Fields: []formField{household, f("relation_to_head", rec.RelationToHead),
			code("father_id", rec.FatherID), code("mother_id", rec.MotherID), code("spouse_id", rec.SpouseID),
			sel("marital_status", fixedOptions(lang, "registry.marital.", rec.MaritalStatus, "single", "married", "divorced", "widowed"))}},
		{Legend: T("registry.field.status"), Fields: []formField{sel("status", fixedOptions(lang, "registry.status.", rec.Status, population.Living, population.Deceased)), death}},
		{Legend: T("registry.legend.change"), Fields: []formField{reason}},
	}
}

// renderForm renders the form of in for a new person or for an edit, with
// errs next to their fields; set, when not nil, adjusts the view.
func (p *Pages) renderForm(w http.ResponseWriter, r *http.Request, status int, who audit.Actor, isNew bool, in formInput, errs []fault.FieldError, set func(v *formView)) {
	ctx, lang := r.Context(), web.Lang(r)
	v := &formView{Who: who.Subject, New: isNew, Version: in.Version, Errors: errs, Fieldsets: p.form(ctx, lang, isNew, in, errs)}
	var title string
	var crumbs []web.Link
	if isNew {
		v.Action, v.CancelURL = "/registry/persons/new", "/registry/"
		title = web.T(lang, "registry.new.title")
		crumbs = []web.Link{{Label: title, Href: v.Action}}
	} else {
		id := in.Person.ID
		v.ID, v.Name = id, in.Person.FullName
		v.Action, v.CancelURL = "/registry/persons/"+url.PathEscape(id)+"/edit", "/registry/persons/"+url.PathEscape(id)
		title = web.T(lang, "registry.edit.title", in.Person.FullName)
		crumbs = []web.Link{{Label: in.Person.FullName, Href: v.CancelURL}, {Label: web.T(lang, "action.edit"), Href: v.Action}}
	}
	if set != nil {
		set(v)
	}
	p.rd.Render(w, r, status, "form.html", p.page(r, title, crumbs, v))
}

func (p *Pages) newForm(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	p.renderForm(w, r, http.StatusOK, who, true, formInput{Person: population.Person{Nationality: "VN", Status: population.Living}}, nil, nil)
}

func (p *Pages) parse(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "registry.form", "Không đọc được biểu mẫu đã gửi", "the form could not be read"))
		return false
	}
	return true
}

func (p *Pages) create(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if !p.parse(w, r) {
		return
	}
	in := readForm(r)
	in.Version = 0
	rec, err := p.c.Population.Create(r.Context(), who, in.Person, in.Reason)
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		errs := f.Fields
		if in.Person.Current.Commune == "" {
			// Left empty, the current residence is the permanent one: its
			// errors are already shown there, not beside the empty field.
			errs = nil
			for _, e := range f.Fields {
				if !strings.HasPrefix(e.Field, "current_residence.") {
					errs = append(errs, e)
				}
			}
		}
		p.renderForm(w, r, http.StatusUnprocessableEntity, who, true, in, errs, nil)
		return
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/registry/persons/"+url.PathEscape(rec.ID), http.StatusSeeOther)
}

func (p *Pages) editForm(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	rec, err := p.c.Population.Lookup(r.Context(), who, r.PathValue("id"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.renderForm(w, r, http.StatusOK, who, false, inputOf(rec), nil, nil)
}

func (p *Pages) update(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	if !p.parse(w, r) {
		return
	}
	in := readForm(r)
	in.Person.ID = r.PathValue("id")
	if in.Version <= 0 {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "registry.form.version", "Biểu mẫu thiếu phiên bản hồ sơ đang sửa: hãy mở lại trang sửa", "the form lacks the version being edited: open the edit page again"))
		return
	}
	_, err := p.c.Population.Update(r.Context(), who, in.Person, in.Version, in.Reason)
	f := fault.As(err)
	switch {
	case err == nil:
		http.Redirect(w, r, "/registry/persons/"+url.PathEscape(in.Person.ID), http.StatusSeeOther)
	case f != nil && f.Kind == fault.Invalid:
		p.renderForm(w, r, http.StatusUnprocessableEntity, who, false, in, f.Fields, nil)
	case f != nil && f.Code == "population.version_conflict":
		// Someone saved in between: nothing is written, what was typed is
		// shown again, and the clerk reloads the current version to redo
		// the change on it.
		p.renderForm(w, r, http.StatusConflict, who, false, in, nil, func(v *formView) { v.Conflict = true })
	case f != nil && f.Kind == fault.Conflict:
		p.renderForm(w, r, http.StatusConflict, who, false, in, nil, func(v *formView) { v.Notice = msg(web.Lang(r), f.Message, f.Detail) })
	default:
		p.rd.RenderError(w, r, err)
	}
}
