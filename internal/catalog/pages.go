package catalog

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages is the public catalog browser (trang tra cứu danh mục), under /catalog/.
type Pages struct {
	svc *Service
	rd  *web.Renderer
}

// NewPages parses the page templates.
func NewPages(svc *Service) (*Pages, error) {
	rd, err := web.NewRendererFuncs(templateFiles, template.FuncMap{"day": displayDay}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("catalog: pages: %w", err)
	}
	return &Pages{svc: svc, rd: rd}, nil
}

// Routes mounts the pages on mux.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /catalog/{$}", p.home)
	mux.HandleFunc("GET /catalog/lists/{list}", p.list)
	mux.HandleFunc("GET /catalog/lists/{list}/items/{code}", p.item)
	mux.HandleFunc("GET /catalog/translate", p.translate)
	mux.HandleFunc("GET /catalog", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/catalog/", http.StatusMovedPermanently)
	})
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	home := web.Link{Label: web.T(lang, "catalog.title"), Href: "/catalog/"}
	nav := []web.Link{
		{Label: web.T(lang, "catalog.nav.lists"), Href: "/catalog/", Current: r.URL.Path == "/catalog/"},
		{Label: web.T(lang, "catalog.nav.units"), Href: "/catalog/lists/admin-units", Current: strings.HasPrefix(r.URL.Path, "/catalog/lists/admin-units")},
		{Label: web.T(lang, "catalog.nav.translate"), Href: "/catalog/translate", Current: r.URL.Path == "/catalog/translate"},
	}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{home}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "catalog.title"), Nav: nav, Breadcrumbs: crumbs, Data: data}
}

// name picks the item's or list's name in the page's language.
func name(lang, vi, en string) string {
	if lang == web.LangEN && en != "" {
		return en
	}
	return vi
}

type listRow struct {
	List
	Label string
}

type homeView struct {
	Q       string
	Lists   []listRow
	Results []resultGroup
}

type resultGroup struct {
	List  listRow
	Items []itemRow
	More  bool
}

type itemRow struct {
	Item
	Label       string
	ParentLabel string
	Href        string
	HasChildren bool
}

func (p *Pages) home(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	ls, err := p.svc.Lists(ctx)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := homeView{Q: r.URL.Query().Get("q")}
	byCode := map[string]listRow{}
	for _, l := range ls {
		row := listRow{List: l, Label: name(lang, l.Name, l.NameEn)}
		v.Lists = append(v.Lists, row)
		byCode[l.Code] = row
	}
	if strings.TrimSpace(v.Q) != "" {
		res, err := p.svc.Search(ctx, v.Q, 11)
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		for _, l := range ls {
			items := res[l.Code]
			if len(items) == 0 {
				continue
			}
			g := resultGroup{List: byCode[l.Code], More: len(items) > 10}
			for _, it := range items[:min(10, len(items))] {
				g.Items = append(g.Items, p.row(lang, l.Code, it, nil))
			}
			v.Results = append(v.Results, g)
		}
	}
	p.rd.Render(w, r, http.StatusOK, "home.html", p.page(r, web.T(lang, "catalog.title"), nil, v))
}

func (p *Pages) row(lang, list string, it Item, parents map[string]string) itemRow {
	return itemRow{Item: it, Label: name(lang, it.Name, it.NameEn), ParentLabel: parents[it.Parent],
		Href: "/catalog/lists/" + url.PathEscape(list) + "/items/" + url.PathEscape(it.Code)}
}

type listView struct {
	List    listRow
	Query   ItemQuery
	Page    ItemPage
	Rows    []itemRow
	Levels  []string
	Parent  *itemRow
	Pager   web.Pager
	CSV     string
	JSON    string
	Heading string
	Errors  []fault.FieldError
}

const pageSize = 50

func (p *Pages) list(w http.ResponseWriter, r *http.Request) {
	ctx, lang, code := r.Context(), web.Lang(r), r.PathValue("list")
	l, err := p.svc.List(ctx, code)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	q := r.URL.Query()
	pageNo, _ := strconv.Atoi(q.Get("page"))
	if pageNo < 1 {
		pageNo = 1
	}
	iq := ItemQuery{Parent: q.Get("parent"), Level: q.Get("level"), Q: q.Get("q"), At: q.Get("at"), Limit: pageSize, Offset: (pageNo - 1) * pageSize}
	// Administrative units open on the provinces; each leads to its communes.
	if code == "admin-units" && iq.Parent == "" && iq.Level == "" && iq.Q == "" {
		iq.Level = "province"
	}
	v := listView{List: listRow{List: l, Label: name(lang, l.Name, l.NameEn)}, Query: iq}
	page, err := p.svc.Items(ctx, code, iq)
	if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
		// Show the form again with what is wrong, and today's view.
		v.Errors = f.Fields
		iq.At, v.Query.At = "", ""
		page, err = p.svc.Items(ctx, code, ItemQuery{Parent: iq.Parent, Level: iq.Level, Q: iq.Q, Limit: pageSize})
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v.Page = page
	parents := map[string]string{}
	all, _, _ := p.svc.Export(ctx, code, page.At)
	levels := map[string]bool{}
	hasChildren := map[string]bool{}
	for _, it := range all {
		if it.Level != "" {
			levels[it.Level] = true
		}
		if it.Parent != "" {
			hasChildren[it.Parent] = true
		}
	}
	for _, it := range page.Items {
		if it.Parent != "" {
			if par, err := p.svc.Item(ctx, code, it.Parent, page.At); err == nil {
				parents[it.Parent] = name(lang, par.Name, par.NameEn)
			}
		}
	}
	for _, it := range page.Items {
		row := p.row(lang, code, it, parents)
		row.HasChildren = hasChildren[it.Code]
		v.Rows = append(v.Rows, row)
	}
	for lv := range levels {
		v.Levels = append(v.Levels, lv)
	}
	sort.Strings(v.Levels)
	v.Heading = v.List.Label
	if iq.Parent != "" {
		if par, err := p.svc.Item(ctx, code, iq.Parent, page.At); err == nil {
			row := p.row(lang, code, par, nil)
			v.Parent = &row
		}
	}
	pages := (page.Total + pageSize - 1) / pageSize
	v.Pager = web.Pager{Page: pageNo, Pages: pages}
	link := func(n int) string {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("page", strconv.Itoa(n))
		return r.URL.Path + "?" + nq.Encode()
	}
	if pageNo > 1 {
		v.Pager.PrevURL = link(pageNo - 1)
	}
	if pageNo < pages {
		v.Pager.NextURL = link(pageNo + 1)
	}
	exp := "/catalog/v1/lists/" + url.PathEscape(code) + "/export?at=" + page.At
	v.CSV, v.JSON = exp+"&format=csv", exp+"&format=json"
	crumbs := []web.Link{{Label: v.List.Label, Href: "/catalog/lists/" + code}}
	if v.Parent != nil {
		crumbs = append(crumbs, web.Link{Label: v.Parent.Label, Href: r.URL.String()})
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	p.rd.Render(w, r, status, "list.html", p.page(r, v.Heading, crumbs, v))
}

type itemView struct {
	List        listRow
	Item        itemRow
	Parent      *itemRow
	History     []itemRow
	Successors  []itemRow
	Children    int
	ChildrenURL string
	Attributes  [][2]string
	Translation *Translation
}

func (p *Pages) item(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	code, ic := r.PathValue("list"), r.PathValue("code")
	l, err := p.svc.List(ctx, code)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	hist, err := p.svc.History(ctx, code, ic)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	today := p.svc.Today()
	cur := hist[len(hist)-1]
	if at := r.URL.Query().Get("at"); at != "" {
		if it, err := p.svc.Item(ctx, code, ic, at); err == nil {
			cur = it
		}
	}
	for _, h := range hist {
		if h.ValidAt(today) {
			cur = h
		}
	}
	v := itemView{List: listRow{List: l, Label: name(lang, l.Name, l.NameEn)}, Item: p.row(lang, code, cur, nil)}
	for i := len(hist) - 1; i >= 0; i-- {
		v.History = append(v.History, p.row(lang, code, hist[i], nil))
	}
	day := today
	if !cur.ValidAt(today) && cur.ValidTo != "" {
		day = cur.ValidTo
	}
	if cur.Parent != "" {
		if par, err := p.svc.Item(ctx, code, cur.Parent, day); err == nil {
			row := p.row(lang, code, par, nil)
			v.Parent = &row
		}
	}
	kids, _ := p.svc.Children(ctx, code, ic, day)
	v.Children = len(kids)
	v.ChildrenURL = "/catalog/lists/" + url.PathEscape(code) + "?parent=" + url.QueryEscape(ic)
	if day != today {
		v.ChildrenURL += "&at=" + day
	}
	keys := make([]string, 0, len(cur.Attributes))
	for k := range cur.Attributes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		val := cur.Attributes[k]
		if list, ok := val.([]any); ok {
			parts := make([]string, len(list))
			for i, x := range list {
				parts[i] = fmt.Sprint(x)
			}
			val = strings.Join(parts, "; ")
		}
		v.Attributes = append(v.Attributes, [2]string{k, fmt.Sprint(val)})
	}
	if !cur.ValidAt(today) {
		if tr, err := p.svc.Translate(ctx, code, ic, ""); err == nil && !tr.Current {
			v.Translation = &tr
			for _, t := range tr.To {
				row := p.row(lang, code, t.Item, nil)
				row.Level = t.Type
				v.Successors = append(v.Successors, row)
			}
		}
	}
	crumbs := []web.Link{{Label: v.List.Label, Href: "/catalog/lists/" + code}, {Label: v.Item.Label, Href: r.URL.Path}}
	p.rd.Render(w, r, http.StatusOK, "item.html", p.page(r, v.Item.Label, crumbs, v))
}

type translateView struct {
	Code    string
	At      string
	Result  *Translation
	From    itemRow
	To      []itemRow
	Errors  []fault.FieldError
	Missing string
}

func (p *Pages) translate(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	q := r.URL.Query()
	v := translateView{Code: strings.TrimSpace(q.Get("code")), At: q.Get("at")}
	status := http.StatusOK
	if v.Code != "" {
		tr, err := p.svc.Translate(ctx, "admin-units", v.Code, v.At)
		switch f := fault.As(err); {
		case err == nil:
			v.Result = &tr
			v.From = p.row(lang, "admin-units", tr.From, nil)
			for _, t := range tr.To {
				row := p.row(lang, "admin-units", t.Item, nil)
				row.Level = t.Type
				v.To = append(v.To, row)
			}
		case f != nil && f.Kind == fault.Invalid:
			v.Errors, status = f.Fields, http.StatusUnprocessableEntity
		case f != nil && f.Kind == fault.NotFound:
			v.Missing, status = f.Message, http.StatusNotFound
			if lang == web.LangEN {
				v.Missing = f.Detail
			}
		default:
			p.rd.RenderError(w, r, err)
			return
		}
	}
	title := web.T(lang, "catalog.translate.title")
	p.rd.Render(w, r, status, "translate.html", p.page(r, title, []web.Link{{Label: title, Href: "/catalog/translate"}}, v))
}

// displayDay shows a YYYY-MM-DD day as people in Vietnam write it: 30/06/2025.
func displayDay(d string) string {
	if len(d) != 10 {
		return d
	}
	return d[8:10] + "/" + d[5:7] + "/" + d[0:4]
}
