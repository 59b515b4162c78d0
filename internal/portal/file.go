package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/payment"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
	"github.com/vngov/vngov/internal/wallet"
)

// Filing a dossier online (nộp hồ sơ trực tuyến), one page per step, each
// a plain form that works without JavaScript:
//
//	/thu-tuc/{code}/nop           sign in at the procedure's level, then consent to prefill
//	/thu-tuc/{code}/nop/to-khai   the e-form, prefilled, each prefilled field marked with its source
//	/thu-tuc/{code}/nop/giay-to   documents: from the wallet, or uploaded
//	/thu-tuc/{code}/nop/xem-lai   review, declaration and submission
//
// What the citizen enters is kept in a draft between the steps. The
// submission files the dossier with the draft's idempotency key, so a
// second click (or a retry after a lost answer) finds the same dossier.

// filing is what every step needs: the procedure, its e-form and the
// citizen's open draft.
type filing struct {
	P    procedure.Procedure
	Form *formSpec
	D    *draft
}

// filingFor reads the procedure and the open draft; it sends the citizen
// to sign in again when the session is below the procedure's level, and
// back to the first step when there is no draft.
func (p *Portal) filingFor(w http.ResponseWriter, r *http.Request, c Citizen, needDraft bool) (*filing, bool) {
	pr, err := p.procedureFor(r)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return nil, false
	}
	if r.Method == http.MethodGet && stepUp(w, r, c, levelOf(pr.Assurance)) {
		return nil, false
	}
	if c.Level() < levelOf(pr.Assurance) {
		p.rd.RenderError(w, r, fault.New(fault.Forbidden, "portal.level_required",
			"Thủ tục này cần đăng nhập ở mức độ 2. Hãy đăng nhập lại bằng mật khẩu và mã xác thực một lần.", "the procedure needs assurance level 2"))
		return nil, false
	}
	spec, err := formOf(pr)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return nil, false
	}
	d, err := p.drafts.open(r.Context(), c.ID, pr.Code)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return nil, false
	}
	if needDraft && (d == nil || d.Consent == "") {
		http.Redirect(w, r, "/thu-tuc/"+pr.Code+"/nop", http.StatusSeeOther)
		return nil, false
	}
	return &filing{P: pr, Form: spec, D: d}, true
}

// steps are the filing's steps, for the step indicator.
var steps = []string{"consent", "form", "documents", "review"}

type stepLink struct {
	N       int
	Key     string
	Href    string
	Current bool
	Done    bool
}

func stepLinks(code, current string) []stepLink {
	hrefs := map[string]string{"consent": "/thu-tuc/" + code + "/nop", "form": "/thu-tuc/" + code + "/nop/to-khai",
		"documents": "/thu-tuc/" + code + "/nop/giay-to", "review": "/thu-tuc/" + code + "/nop/xem-lai"}
	var out []stepLink
	done := true
	for i, s := range steps {
		if s == current {
			done = false
		}
		out = append(out, stepLink{N: i + 1, Key: s, Href: hrefs[s], Current: s == current, Done: done})
	}
	return out
}

func (p *Portal) filingPage(r *http.Request, pr procedure.Procedure, title string) func(data any) *web.Page {
	lang := web.Lang(r)
	return func(data any) *web.Page {
		return p.page(r, title, []web.Link{{Label: web.T(lang, "portal.nav.procedures"), Href: "/thu-tuc"},
			{Label: pr.Name, Href: "/thu-tuc/" + pr.Code}, {Label: title, Href: r.URL.Path}}, data)
	}
}

// ---------------------------------------------------------------- consent

type consentView struct {
	P        procedure.Procedure
	Steps    []stepLink
	Who      Citizen
	Fields   []string // what the registry fills, by the form's titles
	Registry bool     // prefill is available
	Wallet   bool     // the consent is recorded in the wallet
}

// consentPage is the first step: what data comes from where and why,
// before anything is read.
func (p *Portal) consentPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, false)
	if !ok {
		return
	}
	p.visit("/thu-tuc/" + f.P.Code + "/nop")
	if f.D != nil && f.D.Consent != "" {
		http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/to-khai", http.StatusSeeOther)
		return
	}
	v := consentView{P: f.P, Steps: stepLinks(f.P.Code, "consent"), Who: c, Fields: f.Form.registryFields(), Registry: p.Registry != nil, Wallet: p.Wallet != nil}
	title := web.T(web.Lang(r), "portal.consent.title")
	p.rd.Render(w, r, http.StatusOK, "consent.html", p.filingPage(r, f.P, title)(v))
}

// prefillIssue is the purpose a prefill read carries to the registry and
// the citizen's data tracker.
func prefillIssue(pr procedure.Procedure) string {
	return "Điền sẵn tờ khai nộp trực tuyến thủ tục " + pr.Code + " " + pr.Name
}

// consent answers the consent screen: with the citizen's agreement the
// consent is recorded in the wallet, then the record is read over the
// exchange and the draft's e-form filled; without it the citizen types
// the form.
func (p *Portal) consent(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, false)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "portal.form", "Không đọc được dữ liệu gửi lên", "the form could not be read"))
		return
	}
	decision := r.PostFormValue("decision")
	if decision != "allow" && decision != "deny" {
		v := consentView{P: f.P, Steps: stepLinks(f.P.Code, "consent"), Who: c, Fields: f.Form.registryFields(), Registry: p.Registry != nil, Wallet: p.Wallet != nil}
		p.rd.Render(w, r, http.StatusUnprocessableEntity, "consent.html", p.filingPage(r, f.P, web.T(web.Lang(r), "portal.consent.title"))(v))
		return
	}
	ctx := r.Context()
	d := f.D
	if d == nil {
		d = &draft{Applicant: c.ID, Procedure: f.P.Code, Values: map[string]string{}, Sources: map[string]string{}, Wallet: map[string]string{}, PayOnline: true}
	}
	var rec map[string]any
	d.PrefillNote = ""
	if decision == "allow" && p.Registry != nil {
		rec, d.PrefillNote = p.prefillRecord(ctx, c, f)
	}
	if decision == "allow" && p.Registry == nil {
		decision = "deny"
	}
	d.Consent = decision
	f.Form.prefill(d.Values, d.Sources, rec, c)
	f.Form.defaults(d.Values)
	if d.Agency == "" {
		d.Agency = p.defaultAgency(f.P, d.Values["form.applicant_permanent_commune"])
	}
	var err error
	if f.D == nil {
		// One write: the draft is created with its prefilled form.
		var made *draft
		if made, err = p.drafts.create(ctx, d); err == nil && made != nil && made.ID != d.ID {
			// A concurrent request created it first: keep this answer in it.
			made.Values, made.Sources, made.Consent, made.PrefillNote, made.Agency = d.Values, d.Sources, d.Consent, d.PrefillNote, d.Agency
			err = p.drafts.save(ctx, made)
		} else if err == nil && made == nil {
			err = errDraftGone
		}
	} else {
		err = p.drafts.save(ctx, d)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/to-khai", http.StatusSeeOther)
}

// prefillRecord records the consent, then reads the citizen's record; it
// returns the record, or nil and a note that says why there is none.
func (p *Portal) prefillRecord(ctx context.Context, c Citizen, f *filing) (map[string]any, string) {
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	if p.Wallet != nil {
		g := wallet.Consent{Recipient: RecipientName, Source: SourceName, Purpose: "Điền sẵn tờ khai để nộp hồ sơ trực tuyến thủ tục " + f.P.Code + " " + f.P.Name,
			Data: f.Form.registryFields(), Procedure: f.P.Code}
		if _, err := p.Wallet.Grant(ctx, audit.Actor{Subject: c.ID}, c.ID, g); err != nil {
			slog.Default().Warn("portal: record consent", "err", err)
			return nil, "Chưa ghi nhận được sự đồng ý của bạn vào kho dữ liệu nên Cổng chưa lấy thông tin từ Cơ sở dữ liệu quốc gia về dân cư. Hãy nhập tờ khai, hoặc thử lại sau."
		}
	}
	rec, err := p.Registry.Person(ctx, c.ID, prefillIssue(f.P))
	if err != nil {
		msg := "Không lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư"
		if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal {
			msg += ": " + fe.Message
		}
		slog.Default().Warn("portal: prefill", "err", err)
		return nil, msg + ". Hãy tự nhập các thông tin trong tờ khai."
	}
	return rec, ""
}

// Who receives prefilled data and where it comes from, as the consent
// screen and the wallet name them.
const (
	RecipientName = "Cổng Dịch vụ công quốc gia (Văn phòng Chính phủ)"
	SourceName    = "Cơ sở dữ liệu quốc gia về dân cư (Bộ Công an)"
)

// defaultAgency picks the agency of the applicant's commune among those
// that receive the procedure, or the first of them.
func (p *Portal) defaultAgency(pr procedure.Procedure, commune string) string {
	as := p.agenciesFor(pr)
	for _, a := range as {
		if commune != "" && a.Commune == commune {
			return a.Code
		}
	}
	if len(as) > 0 {
		return as[0].Code
	}
	return ""
}

// ------------------------------------------------------------------ e-form

type formView struct {
	P        procedure.Procedure
	Steps    []stepLink
	Title    string
	Fields   []field
	Agencies []Agency
	Agency   string
	Errors   []fault.FieldError
	Note     string // why the form was not prefilled
	Prefill  bool
	Saved    bool
}

func (p *Portal) renderForm(w http.ResponseWriter, r *http.Request, status int, f *filing, errs []fault.FieldError, saved bool) {
	lang := web.Lang(r)
	v := formView{P: f.P, Steps: stepLinks(f.P.Code, "form"), Title: f.Form.Title, Fields: f.Form.fields(f.D.Values, f.D.Sources, errs, lang),
		Agencies: p.agenciesFor(f.P), Agency: f.D.Agency, Errors: errs, Note: f.D.PrefillNote, Prefill: f.D.Consent == "allow" && len(f.D.Sources) > 0, Saved: saved}
	p.rd.Render(w, r, status, "form.html", p.filingPage(r, f.P, web.T(lang, "portal.form.title"))(v))
}

func (p *Portal) formPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, true)
	if !ok {
		return
	}
	p.renderForm(w, r, http.StatusOK, f, nil, r.URL.Query().Get("da-luu") != "")
}

// FormChecker checks an e-form against a procedure's schema without
// filing anything; the dossier engine may provide it. Without it the form
// is checked when the dossier is filed.
type FormChecker interface {
	CheckForm(ctx context.Context, procedure string, form []byte) []fault.FieldError
}

// saveForm keeps what the citizen typed; "Tiếp tục" goes on to the
// documents once the form passes the engine's check.
func (p *Portal) saveForm(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, true)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.TooLarge, "portal.form_too_large", "Tờ khai gửi lên quá lớn", "the form is too large"))
		return
	}
	vals := f.Form.read(r.PostForm.Get, func(n string) bool { return r.PostForm.Has(n) })
	for k := range f.D.Sources {
		// A prefilled value the citizen changed is no longer the registry's.
		if vals["form."+k] != f.D.Values["form."+k] {
			delete(f.D.Sources, k)
		}
	}
	f.D.Values = vals
	var errs []fault.FieldError
	agency := strings.TrimSpace(r.PostFormValue("agency"))
	known := false
	for _, a := range p.agenciesFor(f.P) {
		known = known || a.Code == agency
	}
	if known {
		f.D.Agency = agency
	} else {
		errs = append(errs, fault.FieldError{Field: "agency", Code: "agency.choose", Message: "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách", Detail: "choose a receiving agency from the list"})
	}
	if err := p.drafts.save(r.Context(), f.D); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if r.PostFormValue("action") == "save" && len(errs) == 0 {
		http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/to-khai?da-luu=1", http.StatusSeeOther)
		return
	}
	if fc, ok := p.dossiers.(FormChecker); ok {
		errs = append(errs, fc.CheckForm(r.Context(), f.P.Code, f.Form.json(vals))...)
	}
	if len(errs) > 0 {
		p.renderForm(w, r, http.StatusUnprocessableEntity, f, errs, false)
		return
	}
	http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/giay-to", http.StatusSeeOther)
}

// --------------------------------------------------------------- documents

// docState is a procedure's document on the documents step.
type docState struct {
	docView
	File   *draftFile   // uploaded into the draft
	Item   *wallet.Item // chosen from the wallet
	Items  []wallet.Item
	Error  string
	Needed bool // the citizen must provide it
}

type documentsView struct {
	P      procedure.Procedure
	Steps  []stepLink
	Docs   []docState
	Errors []fault.FieldError
	Wallet bool
	Note   string // the wallet could not be read
	MaxMB  int
}

// documentStates lists the procedure's documents with what the draft has
// for each.
func (p *Portal) documentStates(ctx context.Context, c Citizen, f *filing) ([]docState, string) {
	var items []wallet.Item
	var note string
	if p.Wallet != nil {
		all, err := p.Wallet.Items(ctx, c.ID)
		if err != nil {
			slog.Default().Warn("portal: wallet items", "err", err)
			note = "Chưa đọc được kho dữ liệu của bạn; bạn vẫn có thể tải tệp lên."
		}
		for _, it := range all {
			if !it.Revoked && it.Ref != "" {
				items = append(items, it)
			}
		}
	}
	var out []docState
	for _, dv := range docViews(f.P) {
		st := docState{docView: dv, Items: items, Needed: dv.Required && !dv.EForm && dv.From == ""}
		for i := range f.D.Files {
			if f.D.Files[i].DocCode == dv.Code {
				st.File = &f.D.Files[i]
			}
		}
		if ref := f.D.Wallet[dv.Code]; ref != "" {
			for i := range items {
				if items[i].Ref == ref {
					st.Item = &items[i]
				}
			}
		}
		out = append(out, st)
	}
	return out, note
}

func (p *Portal) renderDocuments(w http.ResponseWriter, r *http.Request, status int, c Citizen, f *filing, errs []fault.FieldError) {
	docs, note := p.documentStates(r.Context(), c, f)
	msg := map[string]string{}
	lang := web.Lang(r)
	for _, e := range errs {
		m := e.Message
		if lang != web.LangVI && e.Detail != "" {
			m = e.Detail
		}
		if _, ok := msg[e.Field]; !ok {
			msg[e.Field] = m
		}
	}
	for i := range docs {
		docs[i].Error = msg["file."+docs[i].Code]
		if docs[i].Error == "" {
			docs[i].Error = msg["wallet."+docs[i].Code]
		}
	}
	v := documentsView{P: f.P, Steps: stepLinks(f.P.Code, "documents"), Docs: docs, Errors: errs, Wallet: p.Wallet != nil, Note: note, MaxMB: dossier.MaxDocumentSize >> 20}
	p.rd.Render(w, r, status, "documents.html", p.filingPage(r, f.P, web.T(lang, "portal.docs.title"))(v))
}

func (p *Portal) documentsPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, true)
	if !ok {
		return
	}
	p.renderDocuments(w, r, http.StatusOK, c, f, nil)
}

// allowedTypes are the files the dossier engine accepts, by what the bytes
// are.
var allowedTypes = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true}

// checkUpload checks one file as the dossier engine will (which checks
// again when it is filed): a document the citizen provides, not empty,
// within the size limit, a PDF, JPEG or PNG by its bytes, and a file name
// that is not a path.
func checkUpload(field, name string, data []byte) *fault.FieldError {
	bad := func(code, msg, detail string) *fault.FieldError {
		return &fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
	}
	switch {
	case len(data) == 0:
		return bad("document.empty", "Tệp “"+name+"” không có nội dung", "the file is empty")
	case len(data) > dossier.MaxDocumentSize:
		return bad("document.too_large", fmt.Sprintf("Tệp “%s” vượt quá dung lượng cho phép (%d MB)", name, dossier.MaxDocumentSize>>20), "the file is over the limit")
	}
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if !allowedTypes[ct] {
		return bad("document.type", "Chỉ nhận tệp PDF, JPEG hoặc PNG; tệp “"+name+"” không thuộc các loại này", "only PDF, JPEG and PNG files are accepted, got "+ct)
	}
	if !plainName(name) {
		return bad("document.name", "Tên tệp không hợp lệ: tên tệp không được chứa đường dẫn (/, \\, ..) hay ký tự điều khiển", "the file name is a path or holds control characters")
	}
	return nil
}

// plainName reports whether a file name is a name, not a path.
func plainName(name string) bool {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") || strings.HasPrefix(name, ".") || utf8.RuneCountInString(name) > 255 {
		return false
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return false
		}
	}
	return path.Base(name) == name
}

// upload is a file read from a multipart form.
type upload struct {
	field, name string
	data        []byte
}

// readMultipart reads the documents step's form: files ("file.<doc>"),
// wallet choices ("wallet.<doc>") and the button pressed. The raw file
// name is read from the part's header, so that names which try to be
// paths are refused rather than silently cut.
func readMultipart(w http.ResponseWriter, r *http.Request) ([]upload, url.Values, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, nil, fault.New(fault.BadRequest, "portal.not_multipart", "Biểu mẫu tải tệp phải gửi dạng multipart/form-data", "the body must be multipart/form-data")
	}
	r.Body = http.MaxBytesReader(w, r.Body, dossier.MaxUploadSize)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, fault.New(fault.BadRequest, "portal.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
	}
	var ups []upload
	vals := url.Values{}
	for {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, multipartFault(err)
		}
		_, params, _ := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		name, isFile := params["filename"]
		if !isFile {
			b, err := io.ReadAll(io.LimitReader(part, 4097))
			if err != nil {
				return nil, nil, multipartFault(err)
			}
			if len(b) <= 4096 {
				vals.Add(params["name"], string(b))
			}
			continue
		}
		data, err := io.ReadAll(io.LimitReader(part, dossier.MaxDocumentSize+1))
		if err != nil {
			return nil, nil, multipartFault(err)
		}
		if name == "" && len(data) == 0 {
			continue // a file input left empty
		}
		ups = append(ups, upload{field: params["name"], name: name, data: data})
	}
	return ups, vals, nil
}

func multipartFault(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return &fault.Error{Kind: fault.TooLarge, Code: "portal.upload_too_large",
			Message: fmt.Sprintf("Dữ liệu gửi lên vượt quá giới hạn cho phép (%d MB). Hãy gửi từng tệp, mỗi tệp không quá %d MB.", dossier.MaxUploadSize>>20, dossier.MaxDocumentSize>>20),
			Detail:  "request body over the limit", Cause: err}
	}
	return fault.New(fault.BadRequest, "portal.multipart", "Không đọc được dữ liệu tệp gửi lên", err.Error())
}

// saveDocuments keeps the chosen wallet documents and the uploaded files
// (all of this submission's files, or none of them when one is refused);
// "Tiếp tục" goes on to the review once every needed document is there.
func (p *Portal) saveDocuments(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, true)
	if !ok {
		return
	}
	ups, vals, err := readMultipart(w, r)
	if err != nil {
		if fault.Is(err, fault.TooLarge) {
			p.renderDocuments(w, r, http.StatusRequestEntityTooLarge, c, f, []fault.FieldError{{Field: "documents", Code: "document.too_large", Message: fault.As(err).Message, Detail: fault.As(err).Detail}})
			return
		}
		p.rd.RenderError(w, r, err)
		return
	}
	ctx := r.Context()
	docs, _ := p.documentStates(ctx, c, f)
	byCode := map[string]docState{}
	for _, d := range docs {
		byCode[d.Code] = d
	}
	var errs []fault.FieldError
	type keep struct {
		doc  string
		name string
		ct   string
		data []byte
	}
	var keeps []keep
	for _, up := range ups {
		doc, _ := strings.CutPrefix(up.field, "file.")
		st, known := byCode[doc]
		if !known || st.EForm || st.From != "" {
			errs = append(errs, fault.FieldError{Field: up.field, Code: "document.unknown", Message: "Thủ tục không có thành phần hồ sơ này để tải tệp lên", Detail: "no such document to upload"})
			continue
		}
		if fe := checkUpload(up.field, up.name, up.data); fe != nil {
			errs = append(errs, *fe)
			continue
		}
		keeps = append(keeps, keep{doc: doc, name: strings.TrimSpace(up.name), ct: http.DetectContentType(up.data), data: up.data})
	}
	// Wallet choices: an item of the citizen's wallet, or none.
	wallet := map[string]string{}
	for _, d := range docs {
		id := strings.TrimSpace(vals.Get("wallet." + d.Code))
		if id == "" {
			continue
		}
		found := false
		for _, it := range d.Items {
			found = found || it.Ref == id
		}
		if !found || d.EForm || d.From != "" {
			errs = append(errs, fault.FieldError{Field: "wallet." + d.Code, Code: "wallet.unknown", Message: "Giấy tờ đã chọn không có trong kho dữ liệu của bạn", Detail: "the chosen item is not in the wallet"})
			continue
		}
		wallet[d.Code] = id
	}
	if len(errs) > 0 {
		p.renderDocuments(w, r, http.StatusUnprocessableEntity, c, f, errs)
		return
	}
	for _, k := range keeps {
		if err := p.drafts.addFile(ctx, f.D.ID, k.doc, k.name, k.ct, k.data); err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		delete(wallet, k.doc) // an upload wins over a wallet choice of the same document
	}
	if rm := vals.Get("remove"); rm != "" {
		if err := p.drafts.removeFile(ctx, f.D.ID, rm); err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
	}
	f.D.Wallet = wallet
	for doc := range wallet {
		// A wallet choice replaces an earlier upload of the same document.
		if err := p.drafts.removeFile(ctx, f.D.ID, doc); err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
	}
	if err := p.drafts.save(ctx, f.D); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if vals.Get("action") != "continue" {
		http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/giay-to", http.StatusSeeOther)
		return
	}
	if f.D.Files, err = p.drafts.files(ctx, f.D.ID); err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	if errs := missingDocuments(f); len(errs) > 0 {
		p.renderDocuments(w, r, http.StatusUnprocessableEntity, c, f, errs)
		return
	}
	http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop/xem-lai", http.StatusSeeOther)
}

// missingDocuments names each required document the citizen has neither
// uploaded nor chosen from the wallet.
func missingDocuments(f *filing) []fault.FieldError {
	var errs []fault.FieldError
	for _, dv := range docViews(f.P) {
		if !dv.Required || dv.EForm || dv.From != "" {
			continue
		}
		has := f.D.Wallet[dv.Code] != ""
		for _, fl := range f.D.Files {
			has = has || fl.DocCode == dv.Code
		}
		if !has {
			errs = append(errs, fault.FieldError{Field: "file." + dv.Code, Code: "document.required",
				Message: "Hãy tải tệp lên hoặc chọn từ kho dữ liệu: " + dv.Name, Detail: "required document " + dv.Code + " is missing"})
		}
	}
	return errs
}

// ------------------------------------------------------------------ review

type reviewView struct {
	P         procedure.Procedure
	Steps     []stepLink
	Rows      []reviewRow
	Agency    string
	Docs      []docState
	Fees      []procedure.Fee
	FeeTotal  int64
	PayOnline bool // the citizen can pay online
	Pay       bool // the draft's choice
	DraftID   string
	Errors    []fault.FieldError
	Error     string
}

func (p *Portal) renderReview(w http.ResponseWriter, r *http.Request, status int, c Citizen, f *filing, errs []fault.FieldError, msg string) {
	docs, _ := p.documentStates(r.Context(), c, f)
	v := reviewView{P: f.P, Steps: stepLinks(f.P.Code, "review"), Rows: f.Form.summary(f.D.Values, f.D.Sources), Agency: p.agencyName(f.D.Agency),
		Docs: docs, Fees: f.P.Fees, FeeTotal: feeTotal(f.P), PayOnline: p.Payments != nil && feeTotal(f.P) > 0, Pay: f.D.PayOnline, DraftID: f.D.ID, Errors: errs, Error: msg}
	p.rd.Render(w, r, status, "review.html", p.filingPage(r, f.P, web.T(web.Lang(r), "portal.review.title"))(v))
}

func (p *Portal) reviewPage(w http.ResponseWriter, r *http.Request, c Citizen) {
	f, ok := p.filingFor(w, r, c, true)
	if !ok {
		return
	}
	p.renderReview(w, r, http.StatusOK, c, f, nil, "")
}

// registryRefs are the documents the desk takes from a national registry
// instead of the citizen: the required ones the procedure marks so.
func registryRefs(pr procedure.Procedure, applicant string) []dossier.DocumentRef {
	var out []dossier.DocumentRef
	for i, d := range pr.Documents {
		src, ok := strings.CutPrefix(d.ReplacedBy, "registry:")
		if !ok || !d.Required || isEForm(pr, i) || src != "population" {
			continue
		}
		out = append(out, dossier.DocumentRef{DocCode: d.Code, Source: dossier.SourceRegistry, Ref: "CSDLQGDC:" + applicant})
	}
	return out
}

// submit files the dossier: the e-form, the registry and wallet
// references in one transaction of the engine (with the draft's
// idempotency key), then the uploaded files; it checks the filed identity
// data with the registry under the dossier's code, and goes on to the
// payment when a fee is due, or to the receipt.
func (p *Portal) submit(w http.ResponseWriter, r *http.Request, c Citizen) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "portal.form", "Không đọc được dữ liệu gửi lên", "the form could not be read"))
		return
	}
	ctx := r.Context()
	// A second click after the first one filed: the draft is closed, its
	// dossier is the answer.
	if id := r.PostFormValue("draft"); id != "" {
		if code, err := p.drafts.filedAs(ctx, c.ID, id); err == nil && code != "" {
			http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"/bien-nhan", http.StatusSeeOther)
			return
		}
	}
	f, ok := p.filingFor(w, r, c, false)
	if !ok {
		return
	}
	if f.D == nil || f.D.Consent == "" {
		// Filed by a concurrent click since the check above, or never started.
		if code, err := p.drafts.filedAs(ctx, c.ID, r.PostFormValue("draft")); err == nil && code != "" {
			http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"/bien-nhan", http.StatusSeeOther)
			return
		}
		http.Redirect(w, r, "/thu-tuc/"+f.P.Code+"/nop", http.StatusSeeOther)
		return
	}
	if r.PostFormValue("pay") != "" {
		f.D.PayOnline = r.PostFormValue("pay") == "online"
	}
	if r.PostFormValue("declare") == "" {
		p.renderReview(w, r, http.StatusUnprocessableEntity, c, f, []fault.FieldError{{Field: "declare", Code: "declare.required",
			Message: "Hãy đánh dấu vào ô cam đoan trước khi nộp hồ sơ", Detail: "confirm the declaration"}}, "")
		return
	}
	if errs := missingDocuments(f); len(errs) > 0 {
		p.renderDocuments(w, r, http.StatusUnprocessableEntity, c, f, errs)
		return
	}
	if f.D.Agency == "" {
		p.renderForm(w, r, http.StatusUnprocessableEntity, f, []fault.FieldError{{Field: "agency", Code: "agency.choose", Message: "Hãy chọn cơ quan tiếp nhận hồ sơ trong danh sách", Detail: "choose a receiving agency"}}, false)
		return
	}
	d, err := p.submitOnce(ctx, c, f)
	if errors.Is(err, errBusy) {
		if code := p.waitFiled(ctx, c.ID, f.D.ID); code != "" {
			http.Redirect(w, r, "/ho-so/"+url.PathEscape(code)+"/bien-nhan", http.StatusSeeOther)
			return
		}
		p.renderReview(w, r, http.StatusConflict, c, f, nil, web.T(web.Lang(r), "portal.review.busy"))
		return
	}
	if err != nil {
		fe := fault.As(err)
		if fe == nil || fe.Kind != fault.Invalid {
			p.renderReview(w, r, web.StatusOf(err), c, f, nil, failure(web.Lang(r), err))
			return
		}
		var formErrs, docErrs []fault.FieldError
		for _, e := range fe.Fields {
			if strings.HasPrefix(e.Field, "form") || e.Field == "applicant_id" {
				formErrs = append(formErrs, e)
			} else {
				docErrs = append(docErrs, e)
			}
		}
		if len(formErrs) > 0 {
			p.renderForm(w, r, http.StatusUnprocessableEntity, f, formErrs, false)
			return
		}
		p.renderReview(w, r, http.StatusUnprocessableEntity, c, f, docErrs, failure(web.Lang(r), err))
		return
	}
	p.verifyIdentity(ctx, c, f, d.Code)
	if d.Status == dossier.StatusPayment && p.Payments != nil {
		if pay, err := p.startPayment(ctx, c, d); err == nil && pay.PayURL != "" {
			http.Redirect(w, r, pay.PayURL, http.StatusSeeOther)
			return
		} else if err != nil {
			slog.Default().Warn("portal: start payment", "dossier", d.Code, "err", err)
		}
	}
	http.Redirect(w, r, "/ho-so/"+url.PathEscape(d.Code)+"/bien-nhan", http.StatusSeeOther)
}

// errBusy: another submission of the same draft is under way.
var errBusy = errors.New("portal: the draft is being submitted")

// submitOnce files the draft. Filing the e-form and references is
// idempotent (the draft's key), so two submissions of a draft without
// uploads may run at once and find the same dossier; a draft with uploads
// is taken by one submission at a time (errBusy for the others), so that
// its files are attached once.
func (p *Portal) submitOnce(ctx context.Context, c Citizen, f *filing) (dossier.Dossier, error) {
	if len(f.D.Files) == 0 {
		return p.file(ctx, c, f)
	}
	claimed, err := p.drafts.claim(ctx, f.D)
	if err != nil {
		return dossier.Dossier{}, err
	}
	if !claimed {
		return dossier.Dossier{}, errBusy
	}
	d, err := p.file(ctx, c, f)
	if err != nil {
		if rerr := p.drafts.release(context.WithoutCancel(ctx), f.D.ID); rerr != nil {
			slog.Default().Warn("portal: release draft", "err", rerr)
		}
	}
	return d, err
}

// waitFiled waits a little for another submission of the draft to file
// it, and returns the dossier code ("" if it did not).
func (p *Portal) waitFiled(ctx context.Context, applicant, id string) string {
	for range 100 {
		if code, err := p.drafts.filedAs(ctx, applicant, id); err != nil || code != "" {
			return code
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(50 * time.Millisecond):
		}
	}
	return ""
}

// failure is an error's message for the person.
func failure(lang string, err error) string {
	if fe := fault.As(err); fe != nil && fe.Kind != fault.Internal {
		if lang != web.LangVI && fe.Detail != "" {
			return fe.Detail
		}
		return fe.Message
	}
	return web.T(lang, "error.internal.message")
}

// file files the dossier with the draft's uploads.
func (p *Portal) file(ctx context.Context, c Citizen, f *filing) (dossier.Dossier, error) {
	refs := registryRefs(f.P, c.ID)
	for _, dv := range docViews(f.P) {
		if ref := f.D.Wallet[dv.Code]; ref != "" {
			refs = append(refs, dossier.DocumentRef{DocCode: dv.Code, Source: dossier.SourceWallet, Ref: ref, Name: dv.Name})
		}
	}
	in := dossier.CreateRequest{Procedure: f.P.Code, Agency: f.D.Agency, Channel: dossier.ChannelOnline, Form: f.Form.json(f.D.Values),
		Documents: refs, ApplicantID: c.ID, CreatedBy: c.ID, IdempotencyKey: f.D.IdemKey, PayOnline: f.D.PayOnline && p.Payments != nil}
	if len(f.D.Files) > 0 {
		files, data, err := p.drafts.fileData(ctx, f.D.ID)
		if err != nil {
			return dossier.Dossier{}, err
		}
		for i, fl := range files {
			in.Uploads = append(in.Uploads, dossier.Upload{DocCode: fl.DocCode, Name: fl.Name, Data: data[i]})
		}
	}
	// The dossier and its files are one transaction: a submission cut
	// short files nothing, and the next one (same idempotency key) files
	// once.
	d, _, err := p.dossiers.Create(ctx, in)
	if err != nil {
		return d, err
	}
	if err := p.drafts.filed(ctx, f.D.ID, d.Code); err != nil {
		return d, err
	}
	return d, nil
}

// verifyIdentity checks the identity data filed with the registry, under
// the dossier's code: the read appears for that dossier in the citizen's
// data tracker. A failure is logged; the dossier stands.
func (p *Portal) verifyIdentity(ctx context.Context, c Citizen, f *filing, code string) {
	if p.Registry == nil {
		return
	}
	ctx, cancel := ctxTimeout(context.WithoutCancel(ctx))
	defer cancel()
	claim := IdentityClaim{ID: c.ID, FullName: f.D.Values["form.applicant_full_name"], BirthDate: f.D.Values["form.applicant_birth_date"], Commune: f.D.Values["form.applicant_permanent_commune"]}
	if _, err := p.Registry.Verify(ctx, claim, code); err != nil {
		slog.Default().Warn("portal: verify filed identity", "dossier", code, "err", err)
	}
}

// startPayment asks the payment adapter for the fees due on a dossier.
func (p *Portal) startPayment(ctx context.Context, c Citizen, d dossier.Dossier) (payment.Payment, error) {
	var due int64
	for _, fee := range d.Fees {
		if !fee.Paid {
			due += fee.Amount
		}
	}
	ctx, cancel := ctxTimeout(ctx)
	defer cancel()
	return p.Payments.Start(ctx, payment.Request{Ref: d.Code, Agency: d.Agency, AgencyName: p.agencyName(d.Agency), PayerID: c.ID, PayerName: c.Name,
		Description: truncate("Phí, lệ phí hồ sơ "+d.Code+": "+d.ProcedureName, 255), Amount: due,
		ReturnURL: p.auth.cfg.BaseURL + "/ho-so/" + url.PathEscape(d.Code) + "/thanh-toan/ket-qua"})
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// discard drops the open draft (POST /thu-tuc/{code}/nop/huy).
func (p *Portal) discard(w http.ResponseWriter, r *http.Request, c Citizen) {
	pr, err := p.procedureFor(r)
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	d, err := p.drafts.open(r.Context(), c.ID, pr.Code)
	if err == nil && d != nil {
		err = p.drafts.discard(r.Context(), c.ID, d.ID)
	}
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/thu-tuc/"+pr.Code, http.StatusSeeOther)
}
