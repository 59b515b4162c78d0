package wallet

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
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages are the holder's wallet pages on the portal, under /kho-du-lieu/.
// They work without JavaScript.
type Pages struct {
	c  *Component
	rd *web.Renderer
}

func newPages(c *Component) (*Pages, error) {
	rd, err := web.NewRendererFuncs(templateFiles, template.FuncMap{"fieldLabel": FieldLabel, "sizeKB": sizeKB}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("wallet: pages: %w", err)
	}
	return &Pages{c: c, rd: rd}, nil
}

func sizeKB(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	if n < 1<<20 {
		return strconv.FormatInt((n+512)/1024, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// Routes mounts the pages.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /kho-du-lieu", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/kho-du-lieu/", http.StatusMovedPermanently)
	})
	mux.HandleFunc("GET /kho-du-lieu/{$}", p.signedIn(p.index))
	mux.HandleFunc("POST /kho-du-lieu/giay-to", p.signedIn(p.keep))
	mux.HandleFunc("GET /kho-du-lieu/giay-to/{id}", p.signedIn(p.item))
	mux.HandleFunc("GET /kho-du-lieu/giay-to/{id}/tai-ve", p.signedIn(p.download))
	mux.HandleFunc("POST /kho-du-lieu/giay-to/{id}/xoa", p.signedIn(p.remove))
	mux.HandleFunc("GET /kho-du-lieu/dong-y", p.signedIn(p.consents))
	mux.HandleFunc("POST /kho-du-lieu/dong-y/{id}/rut", p.signedIn(p.withdraw))
	mux.HandleFunc("GET /kho-du-lieu/ai-da-xem", p.signedIn(p.accessLog))
}

// signedIn wraps a page that needs the holder: a page view without a
// session goes to sign in and comes back; a form post is refused.
func (p *Pages) signedIn(next func(w http.ResponseWriter, r *http.Request, h Holder)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		var h Holder
		ok := false
		if p.c.Holder != nil {
			h, ok = p.c.Holder(r)
			ok = ok && personalIDRE.MatchString(h.ID)
		}
		if !ok {
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				http.Redirect(w, r, p.c.signInURL(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			p.rd.RenderError(w, r, fault.New(fault.Unauthenticated, "auth.required", "Bạn cần đăng nhập để dùng kho dữ liệu; hãy đăng nhập rồi thử lại", "sign in, then try again"))
			return
		}
		next(w, r, h)
	}
}

// tab is one entry of the wallet's own navigation.
type tab struct {
	Key, Href string
	Current   bool
}

// frame is what every wallet page shows around its own data.
type frame struct {
	Who    Holder
	Tabs   []tab
	Notice string // the key of a message after a change
	Data   any
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name, titleKey, current string, h Holder, crumbs []web.Link, data any) {
	lang := web.Lang(r)
	tabs := []tab{{"wallet.tab.documents", "/kho-du-lieu/", false}, {"wallet.tab.consents", "/kho-du-lieu/dong-y", false}, {"wallet.tab.tracker", "/kho-du-lieu/ai-da-xem", false}}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == current
	}
	title := web.T(lang, titleKey)
	if strings.HasPrefix(titleKey, "=") {
		title = titleKey[1:]
	}
	all := []web.Link{{Label: web.T(lang, "wallet.home"), Href: "/"}, {Label: web.T(lang, "wallet.title"), Href: "/kho-du-lieu/"}}
	all = append(all, crumbs...)
	all[len(all)-1].Current = true
	var nav []web.Link
	if p.c.Nav != nil {
		nav = p.c.Nav(r)
	}
	notice := ""
	if n := r.URL.Query().Get("tb"); notices[n] {
		notice = "wallet.notice." + n
	}
	p.rd.Render(w, r, status, name, &web.Page{Title: title, Service: web.T(lang, "wallet.service"), Nav: nav, Breadcrumbs: all,
		Data: frame{Who: h, Tabs: tabs, Notice: notice, Data: data}})
}

// notices are the messages a redirect after a change may ask for (?tb=).
var notices = map[string]bool{"da-luu": true, "da-xoa": true, "da-rut": true}

type indexView struct {
	Issued, Uploaded []Item
	Errors           []fault.FieldError
	MaxMB            int
}

func (p *Pages) index(w http.ResponseWriter, r *http.Request, h Holder) {
	p.renderIndex(w, r, h, http.StatusOK, nil)
}

func (p *Pages) renderIndex(w http.ResponseWriter, r *http.Request, h Holder, status int, errs []fault.FieldError) {
	items, err := p.c.Svc.Items(r.Context(), h.ID)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := indexView{Errors: errs, MaxMB: MaxFileSize >> 20}
	for _, it := range items {
		if it.Kind == KindIssued {
			v.Issued = append(v.Issued, it)
		} else {
			v.Uploaded = append(v.Uploaded, it)
		}
	}
	p.render(w, r, status, "index.html", "wallet.title", "/kho-du-lieu/", h, nil, v)
}

func (p *Pages) keep(w http.ResponseWriter, r *http.Request, h Holder) {
	name, data, err := readFile(w, r, "file", MaxFileSize)
	if err == nil && data == nil {
		err = fault.Invalidf([]fault.FieldError{fe("file", "wallet.empty", "Hãy chọn một tệp để giữ lại", "no file chosen")}, "no file")
	}
	if err == nil {
		_, err = p.c.Svc.Keep(r.Context(), actor(r, h.ID), h.ID, name, data)
	}
	if err != nil {
		f := fault.As(err)
		if f == nil || f.Kind == fault.Internal || f.Kind == fault.Unavailable {
			p.rd.RenderError(w, r, err)
			return
		}
		errs := f.Fields
		if len(errs) == 0 {
			errs = []fault.FieldError{fe("file", f.Code, f.Message, f.Detail)}
		}
		p.renderIndex(w, r, h, web.StatusOf(err), errs)
		return
	}
	http.Redirect(w, r, "/kho-du-lieu/?tb=da-luu", http.StatusSeeOther)
}

func (p *Pages) itemOf(w http.ResponseWriter, r *http.Request, h Holder) (Item, bool) {
	id, err := pathID(r)
	if err == nil {
		var it Item
		if it, err = p.c.Svc.Item(r.Context(), h.ID, id); err == nil {
			return it, true
		}
	}
	p.rd.RenderError(w, r, err)
	return Item{}, false
}

type itemView struct {
	Item      Item
	Href      string
	VerifyURL string
}

func (p *Pages) item(w http.ResponseWriter, r *http.Request, h Holder) {
	it, ok := p.itemOf(w, r, h)
	if !ok {
		return
	}
	v := itemView{Item: it, Href: "/kho-du-lieu/giay-to/" + strconv.FormatInt(it.ID, 10)}
	if it.URI != "" {
		v.VerifyURL = "/xac-thuc/" + url.PathEscape(it.URI)
	}
	p.render(w, r, http.StatusOK, "item.html", "="+it.Title, "/kho-du-lieu/", h, []web.Link{{Label: it.Title, Href: v.Href}}, v)
}

func (p *Pages) download(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	it, data, err := p.c.Svc.Content(r.Context(), h.ID, id)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	writeFile(w, it, data)
}

func (p *Pages) remove(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err == nil {
		err = p.c.Svc.Delete(r.Context(), actor(r, h.ID), h.ID, id)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/kho-du-lieu/?tb=da-xoa", http.StatusSeeOther)
}

type consentsView struct {
	Active, Withdrawn []Consent
	Services          []ServiceConsent
	ServicesShown     bool
	ServicesError     bool
	IdentityURL       string
}

func (p *Pages) consents(w http.ResponseWriter, r *http.Request, h Holder) {
	cs, err := p.c.Svc.Consents(r.Context(), h.ID)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := consentsView{IdentityURL: p.c.IdentityAccountURL}
	for _, c := range cs {
		if c.Active() {
			v.Active = append(v.Active, c)
		} else {
			v.Withdrawn = append(v.Withdrawn, c)
		}
	}
	if p.c.ServiceConsents != nil {
		v.ServicesShown = true
		if v.Services, err = p.c.ServiceConsents.ServiceConsents(r.Context(), h.ID); err != nil {
			v.ServicesError = true
		}
	}
	p.render(w, r, http.StatusOK, "consents.html", "wallet.consents.title", "/kho-du-lieu/dong-y", h, []web.Link{{Label: web.T(web.Lang(r), "wallet.consents.title"), Href: "/kho-du-lieu/dong-y"}}, v)
}

func (p *Pages) withdraw(w http.ResponseWriter, r *http.Request, h Holder) {
	id, err := pathID(r)
	if err == nil {
		_, err = p.c.Svc.Withdraw(r.Context(), actor(r, h.ID), h.ID, id)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/kho-du-lieu/dong-y?tb=da-rut", http.StatusSeeOther)
}

// accessRow is an access as the page shows it.
type accessRow struct {
	Access
	PurposeURL string // the dossier, when the purpose is a dossier code
}

type trackerView struct {
	Rows        []accessRow
	Enterprises []enterpriseReads
	Pager       web.Pager
	Error       string
	Page        int
}

// enterpriseReads are the reads of one enterprise's record on this page.
type enterpriseReads struct {
	Code  string
	Count int
}

const trackerPageSize = 20

func (p *Pages) accessLog(w http.ResponseWriter, r *http.Request, h Holder) {
	lang := web.Lang(r)
	page, _ := strconv.Atoi(r.URL.Query().Get("trang"))
	page = max(page, 1)
	v := trackerView{Page: page}
	ap, err := p.c.Svc.AccessLog(r.Context(), h.ID, trackerPageSize, (page-1)*trackerPageSize)
	status := http.StatusOK
	if err != nil {
		f := fault.As(err)
		if f == nil || f.Kind == fault.Internal {
			p.rd.RenderError(w, r, err)
			return
		}
		v.Error, status = f.Message, web.StatusOf(err)
		if lang == web.LangEN && f.Detail != "" {
			v.Error = f.Detail
		}
	}
	counts := map[string]int{}
	for _, e := range h.Enterprises {
		counts[e] += 0
	}
	for _, a := range ap.Items {
		row := accessRow{Access: a}
		if _, err := vnid.ParseDossierCode("purpose", a.Purpose); err == nil {
			row.PurposeURL = p.c.dossierURL(a.Purpose)
		}
		if a.Enterprise != "" {
			counts[a.Enterprise]++
		}
		v.Rows = append(v.Rows, row)
	}
	for code, n := range counts {
		v.Enterprises = append(v.Enterprises, enterpriseReads{Code: code, Count: n})
	}
	sort.Slice(v.Enterprises, func(i, j int) bool { return v.Enterprises[i].Code < v.Enterprises[j].Code })
	if page > 1 {
		v.Pager.PrevURL = "/kho-du-lieu/ai-da-xem?trang=" + strconv.Itoa(page-1)
	}
	if ap.More {
		v.Pager.NextURL = "/kho-du-lieu/ai-da-xem?trang=" + strconv.Itoa(page+1)
	}
	p.render(w, r, status, "tracker.html", "wallet.tracker.title", "/kho-du-lieu/ai-da-xem", h, []web.Link{{Label: web.T(lang, "wallet.tracker.title"), Href: "/kho-du-lieu/ai-da-xem"}}, v)
}
