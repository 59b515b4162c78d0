package result

import (
	"embed"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// Pages are the public verification pages, served on the portal: the
// form (GET /xac-thuc: look up a code, or upload a PDF), a document's
// status (GET /xac-thuc/{uri}, the QR code's target) and a file's check
// (POST /xac-thuc). They work without JavaScript.
type Pages struct {
	svc *Service
	rd  *web.Renderer
}

// NewPages parses the pages' templates.
func NewPages(svc *Service) (*Pages, error) {
	rd, err := web.NewRenderer(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("result: pages: %w", err)
	}
	return &Pages{svc: svc, rd: rd}, nil
}

// Routes mounts the pages.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /xac-thuc", p.form)
	mux.HandleFunc("GET /xac-thuc/{$}", p.form)
	mux.HandleFunc("POST /xac-thuc", p.upload)
	mux.HandleFunc("GET /xac-thuc/{uri}", p.status)
}

// view is the data of the pages.
type view struct {
	Code     string // the code typed or looked up
	V        *Verification
	File     string // the name of the file checked
	Errors   []fault.FieldError
	Error    string // a failure that is not about a field
	MaxMB    int
	JSON     string
	Verdict  string // the heading of the verdict
	Tone     string // success | warning
	Message  string
	Checking bool // the verdict is about an uploaded file
}

func (p *Pages) page(r *http.Request, title string, v *view) *web.Page {
	lang := web.Lang(r)
	v.MaxMB = MaxVerifySize >> 20
	if v.V != nil {
		v.Verdict, v.Tone = verdict(*v.V)
		v.Message = v.V.Message
		if lang == web.LangEN {
			v.Message = v.V.MessageEn
		}
	}
	crumbs := []web.Link{{Label: web.T(lang, "result.home"), Href: "/"}, {Label: web.T(lang, "result.check.title"), Href: "/xac-thuc"}}
	if title != web.T(lang, "result.check.title") {
		crumbs = append(crumbs, web.Link{Label: title, Href: ""})
	}
	crumbs[len(crumbs)-1].Current = true
	return &web.Page{Title: title, Service: web.T(lang, "result.service"), Breadcrumbs: crumbs, Data: v}
}

// verdict is the heading key and tone of a verification.
func verdict(v Verification) (string, string) {
	switch v.Status {
	case StatusGenuine:
		if v.Unaltered != nil {
			return "result.status.unaltered", "success"
		}
		return "result.status.genuine", "success"
	case StatusAltered:
		return "result.status.altered", "warning"
	case StatusRevoked:
		return "result.status.revoked", "warning"
	case StatusBadSig:
		return "result.status.bad_sig", "warning"
	}
	return "result.status.not_issued", "warning"
}

func (p *Pages) form(w http.ResponseWriter, r *http.Request) {
	if code := strings.TrimSpace(r.URL.Query().Get("ma")); code != "" {
		http.Redirect(w, r, "/xac-thuc/"+url.PathEscape(strings.ToUpper(code)), http.StatusSeeOther)
		return
	}
	p.rd.Render(w, r, http.StatusOK, "check.html", p.page(r, web.T(web.Lang(r), "result.check.title"), &view{}))
}

func (p *Pages) status(w http.ResponseWriter, r *http.Request) {
	uri := r.PathValue("uri")
	v, err := p.svc.Verify(r.Context(), uri, nil)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	status := http.StatusOK
	if v.Status == StatusNotIssued {
		status = http.StatusNotFound
	}
	vw := &view{Code: uri, V: &v, JSON: "/result/v1/verify/" + url.PathEscape(uri)}
	title := web.T(web.Lang(r), "result.field.uri") + " " + uri
	if v.Status == StatusNotIssued {
		title = web.T(web.Lang(r), "result.status.not_issued")
	}
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, status, "status.html", p.page(r, title, vw))
}

func (p *Pages) upload(w http.ResponseWriter, r *http.Request) {
	lang := web.Lang(r)
	name, data, fields, err := ReadFile(w, r, "file", MaxVerifySize)
	if err == nil {
		err = CheckUpload(name, data)
	}
	vw := &view{Code: strings.TrimSpace(fields["uri"]), File: name, Checking: true}
	if err == nil {
		var v Verification
		v, err = p.svc.Verify(r.Context(), vw.Code, data)
		vw.V = &v
	}
	if err != nil {
		f := fault.As(err)
		if f == nil || f.Kind == fault.Internal {
			p.rd.RenderError(w, r, err)
			return
		}
		vw.V, vw.File = nil, ""
		msg := f.Message
		if lang == web.LangEN && f.Detail != "" {
			msg = f.Detail
		}
		if len(f.Fields) > 0 {
			vw.Errors = f.Fields
		} else {
			vw.Errors = []fault.FieldError{{Field: "file", Code: f.Code, Message: f.Message, Detail: msg}}
		}
		w.Header().Set("Cache-Control", "no-store")
		p.rd.Render(w, r, web.StatusOf(err), "check.html", p.page(r, web.T(lang, "result.error.not_verified"), vw))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, http.StatusOK, "check.html", p.page(r, web.T(lang, vw.Verdict0()), vw))
}

// Verdict0 is the verdict's heading key before page() fills it.
func (v *view) Verdict0() string {
	if v.V == nil {
		return "result.check.title"
	}
	k, _ := verdict(*v.V)
	return k
}
