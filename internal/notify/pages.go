package notify

import (
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages is the demo mailbox (hộp thư thử nghiệm) under /mailbox/: every
// email and text message the platform sent, readable by anyone who opens
// it, one-time codes included. Mount it only in demo deployments.
type Pages struct {
	svc *Service
	rd  *web.Renderer
}

// Pages parses the mailbox's page templates.
func (s *Service) Pages() (*Pages, error) {
	rd, err := web.NewRenderer(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("notify: pages: %w", err)
	}
	return &Pages{svc: s, rd: rd}, nil
}

// Routes mounts on mux the list of messages (GET /mailbox/, ?to= to keep
// one recipient's, ?page= to go back in time), one message
// (GET /mailbox/{id}) and, for scripts and browser tests, the same list as
// JSON (GET /mailbox/v1/messages?to=&limit=&offset=, newest first, as
// {"messages": [Stored...]}); and the notification templates
// (GET /mailbox/templates, and as JSON GET /mailbox/v1/templates).
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /mailbox/{$}", p.list)
	mux.HandleFunc("GET /mailbox/{id}", p.message)
	mux.HandleFunc("GET /mailbox/v1/messages", p.api)
	mux.HandleFunc("GET /mailbox/templates", p.templates)
	mux.HandleFunc("GET /mailbox/v1/templates", p.templatesAPI)
	mux.HandleFunc("GET /mailbox", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/mailbox/", http.StatusMovedPermanently)
	})
}

// pageSize is the number of messages a list page shows.
const pageSize = 20

// row is a message as the pages show it.
type row struct {
	Stored
	Href    string
	Summary string // the subject of an email, the start of a text message
	Paras   [][]string
}

func newRow(m Stored) row {
	r := row{Stored: m, Href: "/mailbox/" + strconv.FormatInt(m.ID, 10), Summary: m.Subject}
	if m.Channel == SMS || r.Summary == "" {
		r.Summary = shorten(strings.Join(strings.Fields(m.Body), " "), 90)
	}
	return r
}

// paragraphs splits a plain-text body into paragraphs at blank lines and
// each paragraph into its lines, for the page to show with its line
// breaks yet wrap long lines on a phone.
func paragraphs(body string) [][]string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	var out [][]string
	for _, p := range strings.Split(body, "\n\n") {
		if strings.TrimSpace(p) == "" {
			continue
		}
		out = append(out, strings.Split(strings.Trim(p, "\n"), "\n"))
	}
	return out
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "notify.title"), Href: "/mailbox/"}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "notify.title"), Breadcrumbs: crumbs, Data: data}
}

type listView struct {
	To    string
	Rows  []row
	Pager web.Pager
	API   string
}

func (p *Pages) list(w http.ResponseWriter, r *http.Request) {
	lang, q := web.Lang(r), r.URL.Query()
	pageNo, _ := strconv.Atoi(q.Get("page"))
	pageNo = max(pageNo, 1)
	v := listView{To: strings.TrimSpace(q.Get("to"))}
	msgs, err := p.svc.List(r.Context(), v.To, pageSize+1, (pageNo-1)*pageSize)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	link := func(n int) string {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("page", strconv.Itoa(n))
		return "/mailbox/?" + nq.Encode()
	}
	if pageNo > 1 {
		v.Pager.PrevURL = link(pageNo - 1)
	}
	if len(msgs) > pageSize {
		msgs = msgs[:pageSize]
		v.Pager.NextURL = link(pageNo + 1)
	}
	for _, m := range msgs {
		v.Rows = append(v.Rows, newRow(m))
	}
	v.API = "/mailbox/v1/messages"
	if v.To != "" {
		v.API += "?to=" + url.QueryEscape(v.To)
	}
	// Always the newest messages, and one-time codes kept out of caches.
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, http.StatusOK, "list.html", p.page(r, web.T(lang, "notify.title"), nil, v))
}

func (p *Pages) message(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		p.rd.RenderError(w, r, fault.NotFoundf("notify.message_not_found", "Không tìm thấy thư hoặc tin nhắn này.", "there is no message %q", r.PathValue("id")))
		return
	}
	m, err := p.svc.Get(r.Context(), id)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := newRow(m)
	v.Paras = paragraphs(m.Body)
	title := web.T(lang, "notify.message.title", m.ID)
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, http.StatusOK, "message.html", p.page(r, title, []web.Link{{Label: title, Href: v.Href}}, v))
}

func (p *Pages) api(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var fields []fault.FieldError
	num := func(name string) int {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			fields = append(fields, fault.FieldError{Field: name, Code: "number",
				Message: "Phải là số nguyên không âm.", Detail: name + " must be a non-negative integer"})
		}
		return n
	}
	limit, offset := num("limit"), num("offset")
	if len(fields) > 0 {
		web.WriteError(w, r, fault.Invalidf(fields, "invalid query"))
		return
	}
	msgs, err := p.svc.List(r.Context(), q.Get("to"), limit, offset)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	web.WriteJSON(w, http.StatusOK, map[string]any{"messages": msgs})
}

// TemplateView is a template as the listing shows it: with its fields and
// its SMS rendered with the sample values, measured.
type TemplateView struct {
	Template
	Fields      []string   `json:"fields"`
	SampleEmail Rendered   `json:"-"`
	SampleSMS   string     `json:"sample_sms"`
	SMSInfo     SMSInfo    `json:"sample_sms_info"`
	EmailParas  [][]string `json:"-"`
}

func templateViews() []TemplateView {
	var out []TemplateView
	for _, t := range Templates() {
		r, _ := t.Render(t.Sample)
		out = append(out, TemplateView{Template: t, Fields: t.Fields(), SampleEmail: r, SampleSMS: r.SMS, SMSInfo: SMSParts(r.SMS), EmailParas: paragraphs(t.Email)})
	}
	return out
}

func (p *Pages) templates(w http.ResponseWriter, r *http.Request) {
	title := web.T(web.Lang(r), "notify.tpl.title")
	p.rd.Render(w, r, http.StatusOK, "templates.html", p.page(r, title, []web.Link{{Label: title, Href: "/mailbox/templates"}}, templateViews()))
}

func (p *Pages) templatesAPI(w http.ResponseWriter, r *http.Request) {
	web.WriteJSON(w, http.StatusOK, map[string]any{"templates": templateViews()})
}
