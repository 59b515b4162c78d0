package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Page is what the layout renders: the page's own Data for the component
// template, and what the layout needs around it. Render fills Lang, Path
// and RequestID from the request when they are empty.
type Page struct {
	Title       string // the page's title, before the site name in <title>
	Service     string // the service name shown beside the site name, e.g. "Cổng dịch vụ công"
	Nav         []Link // the main navigation; none when empty
	Breadcrumbs []Link // where the page sits; the last one is Current
	Data        any    // the component's data for its "content" template
	Lang        string
	Path        string
	RequestID   string

	query url.Values
}

// Link is one entry of a navigation or a breadcrumb trail.
type Link struct {
	Label   string
	Href    string
	Current bool // rendered with aria-current="page"
}

// Pager is the data of the shared "pager" template, for lists shown a page
// at a time. An empty URL hides its link; Pages 0 hides the "page x of y".
type Pager struct {
	PrevURL string
	NextURL string
	Page    int
	Pages   int
}

// OtherLang returns the language the switch link leads to.
func (p Page) OtherLang() string {
	if p.Lang == LangEN {
		return LangVI
	}
	return LangEN
}

// SwitchLangURL returns a link to the current page in the other language,
// keeping the rest of its query. It is a query-only reference, resolved
// against the page's own address, so no path from the request is echoed.
func (p Page) SwitchLangURL() string {
	q := url.Values{}
	for k, v := range p.query {
		q[k] = v
	}
	q.Set("lang", p.OtherLang())
	return "?" + q.Encode()
}

// Renderer renders a component's page templates inside the shared layout.
// Templates are parsed once, at start-up, into one set per page and per
// language, so {{T "key"}} in a template is already bound to the language
// of the request and rendering costs no cloning.
type Renderer struct {
	pages    map[string]map[string]*template.Template // lang -> page file name -> set
	partials map[string]*template.Template            // lang -> layout and partials only
	errors   map[string]*template.Template            // lang -> the error page
}

// NewRenderer parses the templates of component matched by patterns (as
// fs.Glob, e.g. "templates/*.html") on top of the shared layout.
//
// Each file is a page named by its base name ("list.html") that defines
// "content" and may redefine the layout's blocks "title", "head", "nav",
// "breadcrumbs", "footer" and "scripts". Files whose name begins with "_"
// are partials: their definitions are shared by every page and can be
// rendered alone with RenderPartial.
//
// The templates may call T "key" args..., lang, asset "app.css", date,
// datetime and number, and the shared templates "pager" and "errorSummary".
func NewRenderer(component fs.FS, patterns ...string) (*Renderer, error) {
	return NewRendererFuncs(component, nil, patterns...)
}

// NewRendererFuncs is NewRenderer with extra template functions; their
// names must not clash with the shared ones.
func NewRendererFuncs(component fs.FS, funcs template.FuncMap, patterns ...string) (*Renderer, error) {
	shared := funcsFor(DefaultLang)
	for name := range funcs {
		if _, clash := shared[name]; clash {
			return nil, fmt.Errorf("web: template function %q is already defined by package web", name)
		}
	}
	common, err := template.New("vngov").Funcs(shared).Funcs(funcs).ParseFS(assets, "assets/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse layout: %w", err)
	}

	var pages, partials []string
	seen := map[string]string{}
	for _, pat := range patterns {
		if component == nil {
			return nil, fmt.Errorf("web: template pattern %q without a file system", pat)
		}
		matches, err := fs.Glob(component, pat)
		if err != nil {
			return nil, fmt.Errorf("web: template pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("web: template pattern %q matches no file", pat)
		}
		for _, m := range matches {
			base := path.Base(m)
			if prev, dup := seen[base]; dup {
				if prev == m {
					continue
				}
				return nil, fmt.Errorf("web: templates %s and %s share the name %s", prev, m, base)
			}
			seen[base] = m
			if strings.HasPrefix(base, "_") {
				partials = append(partials, m)
			} else {
				pages = append(pages, m)
			}
		}
	}
	slices.Sort(partials)
	for _, p := range partials {
		if err := parseFile(common, component, p); err != nil {
			return nil, err
		}
	}
	if common.Lookup("content") != nil {
		return nil, fmt.Errorf("web: a partial defines \"content\"; only pages may")
	}

	sets := map[string]*template.Template{}
	for _, p := range pages {
		t, err := common.Clone()
		if err != nil {
			return nil, fmt.Errorf("web: clone layout: %w", err)
		}
		if err := parseFile(t, component, p); err != nil {
			return nil, err
		}
		if t.Lookup("content") == nil {
			return nil, fmt.Errorf("web: page template %s defines no \"content\"", p)
		}
		sets[path.Base(p)] = t
	}
	errPage, err := common.Clone()
	if err == nil {
		_, err = errPage.ParseFS(assets, "assets/pages/error.html")
	}
	if err != nil {
		return nil, fmt.Errorf("web: parse error page: %w", err)
	}

	rd := &Renderer{
		pages:    map[string]map[string]*template.Template{},
		partials: map[string]*template.Template{},
		errors:   map[string]*template.Template{},
	}
	for _, lang := range []string{LangVI, LangEN} {
		bind := func(t *template.Template) (*template.Template, error) {
			c, err := t.Clone()
			if err != nil {
				return nil, fmt.Errorf("web: bind templates to %s: %w", lang, err)
			}
			return c.Funcs(funcsFor(lang)), nil
		}
		rd.pages[lang] = map[string]*template.Template{}
		for name, t := range sets {
			if rd.pages[lang][name], err = bind(t); err != nil {
				return nil, err
			}
		}
		if rd.partials[lang], err = bind(common); err != nil {
			return nil, err
		}
		if rd.errors[lang], err = bind(errPage); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

func parseFile(t *template.Template, fsys fs.FS, name string) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return fmt.Errorf("web: read template %s: %w", name, err)
	}
	if _, err := t.New(path.Base(name)).Parse(string(b)); err != nil {
		return fmt.Errorf("web: parse template %s: %w", name, err)
	}
	return nil
}

// Render answers with the page template name inside the layout, in the
// request's language. data is a Page (or *Page) for control over the
// title and navigation, or anything else, which becomes Page.Data. The
// page is rendered in full before anything is sent, so a template error
// becomes an error page rather than half a page.
func (rd *Renderer) Render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	p := newPage(r, data)
	t := rd.pages[p.Lang][name]
	if t == nil {
		rd.RenderError(w, r, fault.Wrap(fmt.Errorf("web: no page template %q", name), "render page"))
		return
	}
	if err := execute(w, status, t, "layout", p); err != nil {
		rd.RenderError(w, r, fault.Wrap(err, "render page "+name))
	}
}

// RenderPartial answers with one template defined in the component's
// partials, without the layout: a fragment for a page to fetch and swap in.
func (rd *Renderer) RenderPartial(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	t := rd.partials[Lang(r)]
	if t == nil || t.Lookup(name) == nil {
		rd.RenderError(w, r, fault.Wrap(fmt.Errorf("web: no partial template %q", name), "render partial"))
		return
	}
	if err := execute(w, status, t, name, data); err != nil {
		rd.RenderError(w, r, fault.Wrap(err, "render partial "+name))
	}
}

// errorView is the Data of the error page.
type errorView struct {
	Heading string
	Message string
	Next    string
	Fields  []fault.FieldError
}

// RenderError answers with a friendly error page for err, inside this
// renderer's layout: the status of its fault kind, the fault's message,
// what to do next and the request id. Internal causes are logged, never
// shown.
func (rd *Renderer) RenderError(w http.ResponseWriter, r *http.Request, err error) {
	logFault(r, err)
	status := StatusOf(err)
	lang := Lang(r)
	slug := kindSlug(status)
	v := errorView{Heading: T(lang, "error."+slug+".title"), Next: T(lang, "error."+slug+".next")}
	if f := fault.As(err); f != nil && status != http.StatusInternalServerError {
		v.Message, v.Fields = f.Message, f.Fields
		if lang != LangVI && f.Detail != "" {
			v.Message = f.Detail
		}
	} else {
		v.Message = T(lang, "error.internal.message")
	}

	h := w.Header()
	for _, k := range []string{"Content-Length", "Content-Encoding", "ETag", "Last-Modified", "Content-Disposition"} {
		h.Del(k)
	}
	h.Set("Cache-Control", "no-store")
	if status == http.StatusUnauthorized && h.Get("WWW-Authenticate") == "" {
		h.Set("WWW-Authenticate", "Bearer")
	}
	p := newPage(r, &Page{Title: v.Heading, Data: v})
	if err := execute(w, status, rd.errors[p.Lang], "layout", p); err != nil {
		logger(r).LogAttrs(r.Context(), slog.LevelError, "render error page",
			slog.String("request_id", p.RequestID), slog.Any("error", err))
		http.Error(w, T(lang, "error.internal.message"), http.StatusInternalServerError)
	}
}

// RenderError answers with the error page in the shared layout alone; it
// is the page counterpart of WriteError. A component with a Renderer
// should prefer its RenderError method, which keeps its own blocks.
func RenderError(w http.ResponseWriter, r *http.Request, err error) {
	baseRenderer().RenderError(w, r, err)
}

// PageNotFound answers with the 404 error page; mount it as the catch-all
// of a site's pages: mux.Handle("/", web.PageNotFound).
var PageNotFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	RenderError(w, r, fault.New(fault.NotFound, "route.not_found",
		"Trang bạn tìm không tồn tại hoặc đã được chuyển đi.", "there is no page at "+r.URL.Path+"."))
})

var baseRenderer = sync.OnceValue(func() *Renderer {
	rd, err := NewRenderer(nil)
	if err != nil {
		panic(err)
	}
	return rd
})

func kindSlug(status int) string {
	switch status {
	case http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusBadRequest:
		return "bad_request"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

func newPage(r *http.Request, data any) *Page {
	var p Page
	switch d := data.(type) {
	case Page:
		p = d
	case *Page:
		if d != nil {
			p = *d
		}
	default:
		p.Data = data
	}
	if !SupportedLang(p.Lang) {
		p.Lang = Lang(r)
	}
	if p.Path == "" {
		p.Path = r.URL.Path
	}
	if p.RequestID == "" {
		p.RequestID = RequestID(r.Context())
	}
	p.query = r.URL.Query()
	return &p
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func execute(w http.ResponseWriter, status int, t *template.Template, name string, data any) error {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 1<<20 {
			bufPool.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, name, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	// The language comes from a cookie, so caches must key on it.
	h.Add("Vary", "Cookie")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// vnTime is Vietnam's time zone; it has no daylight saving, so a fixed
// offset needs no time zone database on the host.
var vnTime = time.FixedZone("ICT", 7*60*60)

// funcsFor returns the shared template functions bound to lang.
func funcsFor(lang string) template.FuncMap {
	return template.FuncMap{
		"T":     func(key string, args ...any) string { return T(lang, key, args...) },
		"lang":  func() string { return lang },
		"asset": AssetURL,
		"date": func(v any) string {
			t, ok := asTime(v)
			if !ok {
				return ""
			}
			if lang == LangVI {
				return t.Format("02/01/2006")
			}
			return t.Format("2 Jan 2006")
		},
		"datetime": func(v any) string {
			t, ok := asTime(v)
			if !ok {
				return ""
			}
			if lang == LangVI {
				return t.Format("15:04 02/01/2006")
			}
			return t.Format("2 Jan 2006, 15:04")
		},
		"number": func(v any) string { return formatNumber(lang, v) },
	}
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t.In(vnTime), !t.IsZero()
	case *time.Time:
		if t != nil && !t.IsZero() {
			return t.In(vnTime), true
		}
	}
	return time.Time{}, false
}

// formatNumber groups thousands the way lang writes them: 1.234.567,5 in
// Vietnamese, 1,234,567.5 in English.
func formatNumber(lang string, v any) string {
	var s string
	switch n := v.(type) {
	case int:
		s = strconv.FormatInt(int64(n), 10)
	case int32:
		s = strconv.FormatInt(int64(n), 10)
	case int64:
		s = strconv.FormatInt(n, 10)
	case uint:
		s = strconv.FormatUint(uint64(n), 10)
	case uint32:
		s = strconv.FormatUint(uint64(n), 10)
	case uint64:
		s = strconv.FormatUint(n, 10)
	case float32:
		s = strconv.FormatFloat(float64(n), 'f', -1, 32)
	case float64:
		s = strconv.FormatFloat(n, 'f', -1, 64)
	default:
		return fmt.Sprint(v)
	}
	group, decimal := ",", "."
	if lang == LangVI {
		group, decimal = ".", ","
	}
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString(decimal)
		b.WriteString(frac)
	}
	return b.String()
}
