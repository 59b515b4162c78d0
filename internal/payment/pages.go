package payment

import (
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/authn"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

//go:embed templates/*.html
var templateFiles embed.FS

// vnd writes an amount as Vietnamese documents do: 1.234.567 đồng.
func vnd(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(c)
	}
	out := b.String() + " đồng"
	if neg {
		out = "-" + out
	}
	return out
}

func newRenderer() (*web.Renderer, error) {
	rd, err := web.NewRendererFuncs(templateFiles, template.FuncMap{
		"vnd":        vnd,
		"statusname": StatusName,
		"issuename":  IssueName,
		"vntime": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				if !t.IsZero() {
					return t.In(ict).Format("15:04 02/01/2006")
				}
			case *time.Time:
				if t != nil {
					return t.In(ict).Format("15:04 02/01/2006")
				}
			}
			return ""
		},
		"vnday": func(t time.Time) string { return t.In(ict).Format("02/01/2006") },
		"deref": func(p *int64) int64 {
			if p == nil {
				return 0
			}
			return *p
		},
	}, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("payment: pages: %w", err)
	}
	return rd, nil
}

// Pages are the payment administration pages on the console
// (/thanh-toan/): reconciliation per agency and period with its CSV, a
// dossier's payments, a payment with its refund, and printable receipts.
// Officials sign in with the admin token, as on the one-stop desk's pages,
// until the identity provider gives them accounts.
type Pages struct {
	c        *Component
	rd       *web.Renderer
	sessions *authn.Sessions
}

// Pages' session cookie.
const (
	pagesCookie = "vngov_thanhtoan_session"
	pagesPath   = "/thanh-toan/"
	pagesTTL    = 8 * time.Hour
)

func newPages(c *Component) (*Pages, error) {
	rd, err := newRenderer()
	if err != nil {
		return nil, err
	}
	s := authn.NewRandomSessions(pagesCookie, pagesPath, pagesTTL)
	if c.k != nil && c.k.Config != nil {
		s.TrustProxy = c.k.Config.TrustProxy
	}
	return &Pages{c: c, rd: rd, sessions: s}, nil
}

// Routes mounts the pages.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /thanh-toan/signin", p.signinForm)
	mux.HandleFunc("POST /thanh-toan/signin", p.signin)
	mux.HandleFunc("POST /thanh-toan/signout", p.signout)
	mux.HandleFunc("GET /thanh-toan/{$}", p.official(p.index))
	mux.HandleFunc("GET /thanh-toan/doi-soat.csv", p.official(p.csv))
	mux.HandleFunc("GET /thanh-toan/giao-dich/{id}", p.official(p.detail))
	mux.HandleFunc("POST /thanh-toan/giao-dich/{id}/hoan-tien", p.official(p.refund))
	mux.HandleFunc("GET /thanh-toan/bien-lai/{id}", p.official(p.receipt))
	mux.HandleFunc("GET /thanh-toan", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, pagesPath, http.StatusMovedPermanently)
	})
}

func (p *Pages) page(r *http.Request, title string, crumbs []web.Link, data any) *web.Page {
	lang := web.Lang(r)
	nav := []web.Link{{Label: web.T(lang, "pay.nav.recon"), Href: pagesPath, Current: r.URL.Path == pagesPath}}
	if len(crumbs) > 0 {
		crumbs = append([]web.Link{{Label: web.T(lang, "pay.crumb"), Href: pagesPath}}, crumbs...)
		crumbs[len(crumbs)-1].Current = true
	}
	return &web.Page{Title: title, Service: web.T(lang, "pay.service"), Nav: nav, Breadcrumbs: crumbs, Data: data}
}

func actor(r *http.Request, subject string) audit.Actor {
	return audit.Actor{Subject: subject, SourceIP: web.ClientIP(r), RequestID: web.RequestID(r.Context())}
}

// official wraps a page for a signed-in official; others are sent to sign
// in and brought back.
func (p *Pages) official(next func(w http.ResponseWriter, r *http.Request, who audit.Actor)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		pr, err := p.sessions.Read(r)
		if err != nil {
			http.Redirect(w, r, "/thanh-toan/signin?next="+url.QueryEscape(safeNext(r.URL.RequestURI())), http.StatusSeeOther)
			return
		}
		next(w, r, actor(r, pr.Subject))
	}
}

func safeNext(s string) string {
	return authn.SafeNext(s, pagesPath, pagesPath, "/thanh-toan/signin", "/thanh-toan/signout")
}

type signinView struct {
	Next   string
	Errors []fault.FieldError
	Error  string
}

func (p *Pages) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) {
	title := web.T(web.Lang(r), "pay.signin.title")
	w.Header().Set("Cache-Control", "no-store")
	p.rd.Render(w, r, status, "signin.html", p.page(r, title, []web.Link{{Label: title, Href: "/thanh-toan/signin"}}, v))
}

func (p *Pages) signinForm(w http.ResponseWriter, r *http.Request) {
	p.renderSignin(w, r, http.StatusOK, signinView{Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *Pages) signin(w http.ResponseWriter, r *http.Request) {
	ctx, lang := r.Context(), web.Lang(r)
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "payment.signin.form", "Biểu mẫu đăng nhập không hợp lệ", "the sign-in form could not be read"))
		return
	}
	v := signinView{Next: safeNext(r.PostFormValue("next"))}
	// Any valid admin token will do, whatever its platform roles.
	pr, refused := authn.SignInWithToken(ctx, p.c.k.Admin, r, r.PostFormValue("token"), "")
	if refused != authn.Accepted {
		audit.Record(ctx, p.c.k.DB, actor(r, "anonymous").Entry("payment.signin", "thanh-toan", audit.Denied, map[string]any{"reason": string(refused)}))
		status, f := refused.Field("", "")
		v.Errors, v.Error = []fault.FieldError{f}, f.Message
		if lang == web.LangEN {
			v.Error = f.Detail
		}
		p.renderSignin(w, r, status, v)
		return
	}
	if err := audit.Record(ctx, p.c.k.DB, actor(r, pr.Subject).Entry("payment.signin", "thanh-toan", audit.OK, nil)); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.sessions.Issue(w, r, &authn.Principal{Subject: pr.Subject, Roles: pr.Roles})
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

func (p *Pages) signout(w http.ResponseWriter, r *http.Request) {
	if pr, err := p.sessions.Read(r); err == nil {
		audit.Record(r.Context(), p.c.k.DB, actor(r, pr.Subject).Entry("payment.signout", "thanh-toan", audit.OK, nil))
	}
	p.sessions.Clear(w, r)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/thanh-toan/signin", http.StatusSeeOther)
}

// ---------------------------------------------------------------- reconciliation

type indexView struct {
	Who      string
	Agencies []string
	Agency   string
	From, To string // as typed, YYYY-MM-DD
	Errors   []fault.FieldError
	Report   *Report
	LastDay  time.Time // the last day of the report, included
	CSV      string
	Ref      string
	ByRef    []Payment
	RefDone  bool
}

func fieldError(errs []fault.FieldError, field string) string {
	for _, e := range errs {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

func (v indexView) FieldError(field string) string { return fieldError(v.Errors, field) }

func (p *Pages) index(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	ctx, q := r.Context(), r.URL.Query()
	now := p.c.Svc.now().In(ict)
	v := indexView{Who: who.Subject, Agency: strings.ToUpper(strings.TrimSpace(q.Get("agency"))), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		Ref: strings.TrimSpace(q.Get("ref"))}
	var err error
	if v.Agencies, err = p.c.Svc.Agencies(ctx); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if v.From == "" {
		v.From = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, ict).Format("2006-01-02")
	}
	if v.To == "" {
		v.To = now.Format("2006-01-02")
	}
	if v.Agency == "" && len(v.Agencies) > 0 {
		v.Agency = v.Agencies[0]
	}
	status := http.StatusOK
	if v.Ref != "" {
		if v.ByRef, err = p.c.Svc.ForRef(ctx, v.Ref); err == nil {
			err = p.c.read(r, who, "payment/ref/"+v.Ref, nil)
		}
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		v.RefDone = true
	} else if v.Agency != "" {
		from, to, err := period(v.From, v.To, now)
		var rep Report
		if err == nil {
			rep, err = p.c.Svc.Reconcile(ctx, v.Agency, from, to)
		}
		if f := fault.As(err); f != nil && f.Kind == fault.Invalid {
			v.Errors, status = f.Fields, http.StatusUnprocessableEntity
		} else if err != nil {
			p.rd.RenderError(w, r, err)
			return
		} else {
			if err := audit.Record(ctx, p.c.k.DB, who.Entry("payment.reconcile", "payment/agency/"+rep.Agency, audit.OK,
				map[string]any{"from": v.From, "to": v.To, "mismatches": rep.Totals.Mismatches})); err != nil {
				p.rd.RenderError(w, r, err)
				return
			}
			v.Report, v.LastDay = &rep, to.AddDate(0, 0, -1)
			v.CSV = "/thanh-toan/doi-soat.csv?" + url.Values{"agency": {v.Agency}, "from": {v.From}, "to": {v.To}}.Encode()
		}
	}
	p.rd.Render(w, r, status, "index.html", p.page(r, web.T(web.Lang(r), "pay.recon.title"), nil, v))
}

func (p *Pages) csv(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	q := r.URL.Query()
	from, to, err := period(q.Get("from"), q.Get("to"), p.c.Svc.now())
	var rep Report
	if err == nil {
		rep, err = p.c.Svc.Reconcile(r.Context(), q.Get("agency"), from, to)
	}
	if err == nil {
		err = audit.Record(r.Context(), p.c.k.DB, who.Entry("payment.reconcile", "payment/agency/"+rep.Agency, audit.OK,
			map[string]any{"from": q.Get("from"), "to": q.Get("to"), "format": "csv", "mismatches": rep.Totals.Mismatches}))
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	writeCSV(w, rep)
}

// ---------------------------------------------------------------- one payment

type detailView struct {
	Who    string
	P      Payment
	Reason string
	Errors []fault.FieldError
	Done   bool
}

func (v detailView) FieldError(field string) string { return fieldError(v.Errors, field) }

func (p *Pages) renderDetail(w http.ResponseWriter, r *http.Request, status int, v detailView) {
	title := web.T(web.Lang(r), "pay.detail.title")
	p.rd.Render(w, r, status, "payment.html", p.page(r, title, []web.Link{{Label: v.P.Ref, Href: "/thanh-toan/?ref=" + url.QueryEscape(v.P.Ref)}, {Label: title, Href: r.URL.Path}}, v))
}

func (p *Pages) detail(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	pay, err := p.c.Svc.Get(r.Context(), r.PathValue("id"))
	if err == nil {
		err = p.c.read(r, who, "payment/"+pay.ID, nil)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.renderDetail(w, r, http.StatusOK, detailView{Who: who.Subject, P: pay, Done: r.URL.Query().Get("done") == "1"})
}

func (p *Pages) refund(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "payment.refund.form", "Biểu mẫu hoàn tiền không hợp lệ", "the refund form could not be read"))
		return
	}
	id, reason := r.PathValue("id"), r.PostFormValue("reason")
	pay, err := p.c.Svc.Refund(r.Context(), id, reason, who.Subject)
	if f := fault.As(err); f != nil && (f.Kind == fault.Invalid || f.Kind == fault.Conflict || f.Kind == fault.Unavailable) {
		cur, gerr := p.c.Svc.Get(r.Context(), id)
		if gerr != nil {
			p.rd.RenderError(w, r, gerr)
			return
		}
		errs := f.Fields
		if len(errs) == 0 {
			errs = []fault.FieldError{{Field: "reason", Code: f.Code, Message: f.Message, Detail: f.Detail}}
		}
		status := web.StatusOf(err)
		p.renderDetail(w, r, status, detailView{Who: who.Subject, P: cur, Reason: reason, Errors: errs})
		return
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/thanh-toan/giao-dich/"+url.PathEscape(pay.ID)+"?done=1", http.StatusSeeOther)
}

// ---------------------------------------------------------------- receipts

type receiptView struct {
	Who string
	R   Receipt
}

func (p *Pages) receipt(w http.ResponseWriter, r *http.Request, who audit.Actor) {
	rc, err := p.c.Svc.Receipt(r.Context(), r.PathValue("id"))
	if err == nil {
		err = p.c.read(r, who, "payment/"+rc.PaymentID+"/receipt", nil)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	p.renderReceipt(w, r, receiptView{Who: who.Subject, R: rc})
}

func (p *Pages) renderReceipt(w http.ResponseWriter, r *http.Request, v receiptView) {
	title := "Biên lai " + v.R.No
	crumbs := []web.Link{{Label: title, Href: r.URL.Path}}
	pg := p.page(r, title, nil, v)
	if v.Who != "" {
		pg = p.page(r, title, crumbs, v)
	} else {
		pg.Nav = nil
	}
	p.rd.Render(w, r, http.StatusOK, "receipt.html", pg)
}

// WriteReceipt renders payment id's printable receipt for payerID, the
// citizen the caller has signed in (the portal checks that): another
// payer's receipt answers as one that does not exist.
func (c *Component) WriteReceipt(w http.ResponseWriter, r *http.Request, id, payerID string) {
	w.Header().Set("Cache-Control", "no-store")
	rc, err := c.Svc.ReceiptFor(r.Context(), id, payerID)
	if err != nil {
		c.pages.rd.RenderError(w, r, err)
		return
	}
	c.pages.renderReceipt(w, r, receiptView{R: rc})
}
