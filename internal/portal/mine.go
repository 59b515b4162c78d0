package portal

import (
	"context"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
)

// "Hồ sơ của tôi": the citizen's dossiers, each with its timeline and what
// the citizen can do now. Only the applicant sees a dossier: anyone else
// asking for its code gets the same "not found" as for a code that does
// not exist.

// myPerPage is how many dossiers a page of the list shows.
const myPerPage = 10

type myView struct {
	Who   Citizen
	Items []dossier.Summary
	Total int
	Pager web.Pager
}

func (p *Portal) myDossiers(w http.ResponseWriter, r *http.Request, c Citizen) {
	p.visit("/ho-so")
	lang := web.Lang(r)
	pageNo, _ := strconv.Atoi(r.URL.Query().Get("trang"))
	pageNo = max(pageNo, 1)
	items, total, err := p.dossiers.ListForApplicant(r.Context(), c.ID, myPerPage, (pageNo-1)*myPerPage)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := myView{Who: c, Items: items, Total: total}
	pages := (total + myPerPage - 1) / myPerPage
	link := func(n int) string { return "/ho-so?trang=" + strconv.Itoa(n) }
	if pageNo > 1 {
		v.Pager.PrevURL = link(pageNo - 1)
	}
	if pageNo < pages {
		v.Pager.NextURL = link(pageNo + 1)
	}
	if pages > 1 {
		v.Pager.Page, v.Pager.Pages = pageNo, pages
	}
	title := web.T(lang, "portal.mine.title")
	p.rd.Render(w, r, http.StatusOK, "mine.html", p.page(r, title, []web.Link{{Label: title, Href: "/ho-so"}}, v))
}

// statusTag is the colour of a status's tag.
func statusTag(s dossier.Status) string {
	switch s {
	case dossier.StatusSupplement, dossier.StatusPayment:
		return "tag--yellow"
	case dossier.StatusProcessed, dossier.StatusReturned:
		return "tag--green"
	case dossier.StatusRejected, dossier.StatusStopped:
		return "tag--red"
	case dossier.StatusWithdrawn:
		return "tag--grey"
	}
	return ""
}

// timelineEntry is one step of a dossier's history as the applicant sees
// it: what happened and who (by role, not by the official's account).
type timelineEntry struct {
	dossier.HistoryEntry
	By string // "applicant", "receptionist", "specialist", "leader", "system"
}

type resultView struct {
	dossier.Result
	VerifyURL string
	WalletURL string
}

type dossierView struct {
	D           dossier.Dossier
	Who         Citizen
	Tag         string
	Agency      string
	Timeline    []timelineEntry
	Form        []reviewRow
	Request     string // what the desk asked for (supplement) or why it refused
	Docs        []docView
	Results     []resultView
	CanWithdraw bool
	CanRate     bool
	Rated       string
	Payment     *payment.Payment
	CanPay      bool
	Due         int64
	Errors      []fault.FieldError
	Error       string
	Notice      string
	Reason      string
	Rating      int
}

// view reads a dossier for its applicant, with what the page shows.
func (p *Portal) view(ctx context.Context, c Citizen, code string) (dossierView, error) {
	d, err := p.dossiers.ForApplicant(ctx, c.ID, code)
	if err != nil {
		return dossierView{}, err
	}
	v := dossierView{D: d, Who: c, Tag: statusTag(d.Status), Agency: p.agencyName(d.Agency)}
	for _, h := range d.History {
		by := h.Role
		if h.Actor == c.ID {
			by = "applicant"
		}
		v.Timeline = append(v.Timeline, timelineEntry{HistoryEntry: h, By: by})
		if h.ToStatus == d.Status && (d.Status == dossier.StatusSupplement || d.Status == dossier.StatusRejected || d.Status == dossier.StatusStopped) && h.Note != "" {
			v.Request = h.Note
		}
	}
	if pr, err := p.procs.Get(ctx, d.Procedure); err == nil {
		if spec, err := formOf(pr); err == nil {
			var vals map[string]any
			if json.Unmarshal(d.Form, &vals) == nil {
				text := map[string]string{}
				for k, x := range vals {
					if rows, ok := x.([]any); ok && len(rows) > 0 {
						if _, isObj := rows[0].(map[string]any); isObj {
							for i, row := range rows {
								for col, cv := range row.(map[string]any) {
									text["form."+k+"["+strconv.Itoa(i)+"]."+col] = asText(cv)
								}
							}
							continue
						}
					}
					text["form."+k] = asText(x)
				}
				v.Form = spec.summary(text, nil)
			}
		}
		v.Docs = docViews(pr)
	}
	for _, res := range d.Results {
		rv := resultView{Result: res}
		if res.URI != "" {
			rv.VerifyURL = p.resultURL(res.URI)
			rv.WalletURL = "/kho-du-lieu/"
		}
		v.Results = append(v.Results, rv)
	}
	switch d.Status {
	case dossier.StatusNew, dossier.StatusAccepted, dossier.StatusProcessing, dossier.StatusSupplement, dossier.StatusPayment:
		v.CanWithdraw = true
	}
	if _, ok := p.dossiers.(Rater); ok && d.Status.Final() && d.Status != dossier.StatusWithdrawn && d.Rating == 0 {
		v.CanRate = true
	}
	if d.Rating != 0 {
		v.Rated = dossier.RatingName(d.Rating)
	}
	for _, f := range d.Fees {
		if !f.Paid {
			v.Due += f.Amount
		}
	}
	if p.Payments != nil && (d.Status == dossier.StatusPayment || len(d.Fees) > 0) {
		if ps, err := p.Payments.ForRef(ctx, d.Code); err == nil {
			v.Payment = latestPayment(ps)
		} else {
			slog.Default().Warn("portal: payments of dossier", "dossier", d.Code, "err", err)
		}
	}
	v.CanPay = p.Payments != nil && d.Status == dossier.StatusPayment && v.Due > 0 && (v.Payment == nil || v.Payment.Status != payment.StatusPaid)
	return v, nil
}

func (p *Portal) resultURL(uri string) string {
	if p.ResultURL != nil {
		return p.ResultURL(uri)
	}
	return "/xac-thuc/" + url.PathEscape(uri)
}

func (p *Portal) renderDossier(w http.ResponseWriter, r *http.Request, status int, v dossierView) {
	lang := web.Lang(r)
	title := web.T(lang, "portal.dossier.title", v.D.Code)
	p.rd.Render(w, r, status, "dossier.html", p.page(r, title, []web.Link{{Label: web.T(lang, "portal.mine.title"), Href: "/ho-so"},
		{Label: v.D.Code, Href: "/ho-so/" + url.PathEscape(v.D.Code)}}, v))
}

func (p *Portal) dossierPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	p.visit("/ho-so/{code}")
	v, err := p.view(r.Context(), c, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	switch r.URL.Query().Get("tb") {
	case "bo-sung":
		v.Notice = web.T(web.Lang(r), "portal.dossier.supplemented")
	case "rut":
		v.Notice = web.T(web.Lang(r), "portal.dossier.withdrawn")
	case "danh-gia":
		v.Notice = web.T(web.Lang(r), "portal.dossier.rated")
	}
	p.renderDossier(w, r, http.StatusOK, v)
}

// again re-renders the dossier page after a refused action, with the
// engine's message.
func (p *Portal) again(w http.ResponseWriter, r *http.Request, c Citizen, err error, keep func(*dossierView)) {
	v, verr := p.view(r.Context(), c, r.PathValue("code"))
	if verr != nil {
		p.rd.RenderError(w, r, verr)
		return
	}
	lang := web.Lang(r)
	if fe := fault.As(err); fe != nil && fe.Kind == fault.Invalid {
		v.Errors = fe.Fields
	} else {
		v.Error = failure(lang, err)
	}
	if keep != nil {
		keep(&v)
	}
	p.renderDossier(w, r, web.StatusOf(err), v)
}

type receiptView struct {
	dossierView
}

func (p *Portal) receiptPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	v, err := p.view(r.Context(), c, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	lang := web.Lang(r)
	title := web.T(lang, "portal.receipt.title")
	p.rd.Render(w, r, http.StatusOK, "receipt.html", p.page(r, title, []web.Link{{Label: web.T(lang, "portal.mine.title"), Href: "/ho-so"},
		{Label: v.D.Code, Href: "/ho-so/" + url.PathEscape(v.D.Code)}, {Label: title, Href: r.URL.Path}}, receiptView{v}))
}

// documentFile sends one of the applicant's uploaded files.
func (p *Portal) documentFile(w http.ResponseWriter, r *http.Request, c Citizen) {
	d, err := p.dossiers.ForApplicant(r.Context(), c.ID, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	doc, data, err := p.dossiers.Content(r.Context(), d.Code, id)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", doc.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": doc.Name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// supplement answers a supplement request with files and a note.
func (p *Portal) supplement(w http.ResponseWriter, r *http.Request, c Citizen) {
	code := r.PathValue("code")
	ups, vals, err := readMultipart(w, r)
	if err != nil {
		p.again(w, r, c, err, nil)
		return
	}
	var docs []dossier.Upload
	var errs []fault.FieldError
	doc := strings.TrimSpace(vals.Get("doc"))
	for _, up := range ups {
		if up.field != "file" {
			continue
		}
		if fe := checkUpload("supplement", up.name, up.data); fe != nil {
			errs = append(errs, *fe)
			continue
		}
		docs = append(docs, dossier.Upload{DocCode: doc, Name: strings.TrimSpace(up.name), Data: up.data})
	}
	note := strings.TrimSpace(vals.Get("note"))
	if len(errs) == 0 && len(docs) == 0 {
		errs = append(errs, fault.FieldError{Field: "supplement", Code: "documents.required", Message: "Hãy chọn ít nhất một tệp để bổ sung", Detail: "choose at least one file"})
	}
	if len(errs) > 0 {
		p.again(w, r, c, fault.Invalidf(errs, "supplement refused"), func(v *dossierView) { v.Reason = note })
		return
	}
	if _, err := p.dossiers.Supplement(r.Context(), c.ID, code, note, docs); err != nil {
		p.again(w, r, c, err, func(v *dossierView) { v.Reason = note })
		return
	}
	http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"?tb=bo-sung", http.StatusSeeOther)
}

func (p *Portal) postForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "portal.form", "Không đọc được dữ liệu gửi lên", "the form could not be read"))
		return false
	}
	return true
}

// withdraw withdraws the dossier at the applicant's request.
func (p *Portal) withdraw(w http.ResponseWriter, r *http.Request, c Citizen) {
	if !p.postForm(w, r) {
		return
	}
	code := r.PathValue("code")
	note := strings.TrimSpace(r.PostFormValue("reason"))
	if _, err := p.dossiers.Withdraw(r.Context(), c.ID, code, note); err != nil {
		p.again(w, r, c, err, nil)
		return
	}
	http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"?tb=rut", http.StatusSeeOther)
}

// rate records the applicant's rating of the service.
func (p *Portal) rate(w http.ResponseWriter, r *http.Request, c Citizen) {
	if !p.postForm(w, r) {
		return
	}
	rt, ok := p.dossiers.(Rater)
	if !ok {
		p.rd.RenderError(w, r, fault.New(fault.Unavailable, "portal.rating_unavailable", "Chưa nhận đánh giá trực tuyến", "ratings are not available"))
		return
	}
	code := r.PathValue("code")
	rating, _ := strconv.Atoi(r.PostFormValue("rating"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if _, err := rt.Rate(r.Context(), c.ID, code, rating, reason); err != nil {
		p.again(w, r, c, err, func(v *dossierView) { v.Reason, v.Rating = reason, rating })
		return
	}
	http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"?tb=danh-gia", http.StatusSeeOther)
}

// pay starts (or resumes) the payment of a dossier's fees and sends the
// browser to the payment page.
func (p *Portal) pay(w http.ResponseWriter, r *http.Request, c Citizen) {
	if !p.postForm(w, r) {
		return
	}
	d, err := p.dossiers.ForApplicant(r.Context(), c.ID, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if p.Payments == nil || d.Status != dossier.StatusPayment {
		p.again(w, r, c, fault.New(fault.Conflict, "portal.nothing_to_pay", "Hồ sơ này không có khoản phí nào đang chờ thanh toán trực tuyến", "the dossier waits for no payment"), nil)
		return
	}
	pay, err := p.startPayment(r.Context(), c, d)
	if err == nil && pay.PayURL == "" {
		err = fault.New(fault.Conflict, "portal.payment_closed", "Giao dịch thanh toán này đã kết thúc: "+pay.StatusName, "the payment is not payable")
	}
	if err != nil {
		p.again(w, r, c, err, nil)
		return
	}
	http.Redirect(w, r, pay.PayURL, http.StatusSeeOther)
}

type paymentView struct {
	D       dossier.Dossier
	Payment *payment.Payment
	CanPay  bool
	Due     int64
}

// paymentReturn is where the payment page sends the browser back. It
// shows the payment's state as the adapter knows it: only the provider's
// verified notification changes that state, never this return.
func (p *Portal) paymentReturn(w http.ResponseWriter, r *http.Request, c Citizen) {
	v, err := p.view(r.Context(), c, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	lang := web.Lang(r)
	title := web.T(lang, "portal.payment.title")
	p.rd.Render(w, r, http.StatusOK, "payment.html", p.page(r, title, []web.Link{{Label: web.T(lang, "portal.mine.title"), Href: "/ho-so"},
		{Label: v.D.Code, Href: "/ho-so/" + url.PathEscape(v.D.Code)}, {Label: title, Href: r.URL.Path}},
		paymentView{D: v.D, Payment: v.Payment, CanPay: v.CanPay, Due: v.Due}))
}
