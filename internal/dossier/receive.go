package dossier

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/web"
	"github.com/vngov/vngov/internal/procedure"
)

// ProcedureLister is what the desk's receipt page needs to offer the
// published procedures; *procedure.Service satisfies it.
type ProcedureLister interface {
	Search(ctx context.Context, q procedure.Query) ([]procedure.Summary, int, error)
}

// applicantPrefill maps the standard applicant fields to the record when
// the form's UI hints do not say.
var applicantPrefill = map[string]string{
	"applicant_id":                "population.id",
	"applicant_full_name":         "population.full_name",
	"applicant_birth_date":        "population.birth_date",
	"applicant_sex":               "population.sex",
	"applicant_permanent_commune": "population.permanent_residence.commune",
	"applicant_permanent_street":  "population.permanent_residence.street",
	"applicant_current_commune":   "population.current_residence.commune",
	"applicant_current_street":    "population.current_residence.street",
}

var personalID = regexp.MustCompile(`^[0-9]{12}$`)

type receiveField struct {
	Key, ID, Label, Value, Error, Hint string
	Required, Prefilled, List          bool
}

type receiveDoc struct {
	Name, Note string
	Copies     int
	Original   bool
	Required   bool
}

type receiveView struct {
	Who        string
	Procedures []deskOption
	Procedure  string
	ProcName   string
	Applicant  string
	Agency     string
	Step       string // "" (choose), "form"
	Fields     []receiveField
	Docs       []receiveDoc
	Prefill    bool   // a Prefiller is configured
	Prefilled  bool   // the form was filled from the registry
	Error      string // why prefill or submit failed
	Errors     []fault.FieldError
}

func (p *Pages) renderReceive(w http.ResponseWriter, r *http.Request, status int, v receiveView) {
	ctx, lang := reqCtx(r), web.Lang(r)
	v.Prefill = p.c.Prefill != nil
	if v.Agency == "" {
		v.Agency = DemoDeskAgency
	}
	if l, ok := p.c.Svc.procs.(ProcedureLister); ok {
		sums, _, err := l.Search(ctx, procedure.Query{Limit: 200})
		if err != nil {
			p.rd.RenderError(w, r, err)
			return
		}
		for _, s := range sums {
			v.Procedures = append(v.Procedures, deskOption{Value: s.Code, Label: s.Code + " — " + s.Name, Selected: s.Code == v.Procedure})
		}
	}
	title := web.T(lang, "motcua.nav.receive")
	p.rd.Render(w, r, status, "receive.html", p.page(r, title, []web.Link{{Label: title, Href: "/motcua/receive"}}, v))
}

func (p *Pages) receiveForm(w http.ResponseWriter, r *http.Request, who Official) {
	q := r.URL.Query()
	p.renderReceive(w, r, http.StatusOK, receiveView{Who: who.ID, Procedure: q.Get("procedure"), Applicant: q.Get("applicant"), Agency: q.Get("agency")})
}

// formUIHints returns each field's prefill hint.
func formUIHints(raw json.RawMessage) map[string]string {
	var ui map[string]struct {
		Prefill string `json:"prefill"`
		Help    string `json:"help"`
	}
	out := map[string]string{}
	if len(raw) > 0 && json.Unmarshal(raw, &ui) == nil {
		for k, h := range ui {
			out[k] = h.Prefill
		}
	}
	return out
}

// receiveFields lists the form's top-level fields in the schema's order,
// with values from vals (typed by the official) or the record.
func receiveFields(pi *procInfo, rec map[string]any, vals url.Values, errs []fault.FieldError) []receiveField {
	if pi.schema == nil {
		return nil
	}
	hints := formUIHints(pi.p.FormUI)
	req := map[string]bool{}
	for _, k := range pi.schema.required {
		req[k] = true
	}
	var out []receiveField
	for _, k := range pi.schema.order {
		n := pi.schema.props[k]
		f := receiveField{Key: k, ID: "form." + k, Label: k, Required: req[k]}
		if n != nil {
			if n.title != "" {
				f.Label = n.title
			}
			f.List = n.typ == "array"
		}
		if vals != nil {
			f.Value = vals.Get(f.ID)
			f.Prefilled = vals.Get("prefilled."+k) != ""
		}
		hint := hints[k]
		if hint == "" {
			hint = applicantPrefill[k]
		}
		if rec != nil && hint != "" {
			if v, ok := recordValue(rec, hint); ok {
				f.Value, f.Prefilled = display(v), true
				if arr, ok := v.([]any); ok {
					parts := make([]string, len(arr))
					for i, x := range arr {
						parts[i] = display(x)
					}
					f.Value = strings.Join(parts, ", ")
				}
			}
		}
		if f.List {
			f.Hint = "Nhiều giá trị cách nhau bằng dấu phẩy."
		}
		for _, e := range errs {
			if e.Field == f.ID || strings.HasPrefix(e.Field, f.ID+"[") || strings.HasPrefix(e.Field, f.ID+".") {
				f.Error = e.Message
				break
			}
		}
		out = append(out, f)
	}
	return out
}

func receiveDocs(pi *procInfo) []receiveDoc {
	var out []receiveDoc
	for _, d := range pi.p.Documents {
		rd := receiveDoc{Name: d.Name, Copies: d.Copies, Original: d.Original, Required: d.Required}
		if d.ReplacedBy == "registry:population" {
			rd.Note = "Không yêu cầu nộp: khai thác từ Cơ sở dữ liệu quốc gia về dân cư"
		}
		out = append(out, rd)
	}
	return out
}

// formValue types a posted value by the schema.
func formValue(n *schemaNode, s string) any {
	s = strings.TrimSpace(s)
	if n == nil {
		return s
	}
	switch n.typ {
	case "integer", "number":
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
	case "boolean":
		return s == "true" || s == "on" || s == "1" || s == "có"
	case "array":
		var arr []any
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' }) {
			if part = strings.TrimSpace(part); part != "" {
				arr = append(arr, formValue(n.items, part))
			}
		}
		return arr
	}
	return s
}

func (p *Pages) receive(w http.ResponseWriter, r *http.Request, who Official) {
	r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
	if err := r.ParseForm(); err != nil {
		p.rd.RenderError(w, r, fault.New(fault.BadRequest, "motcua.receive.form", "Biểu mẫu tiếp nhận không hợp lệ", "the receipt form could not be read"))
		return
	}
	ctx := reqCtx(r)
	v := receiveView{Who: who.ID, Procedure: strings.TrimSpace(r.PostFormValue("procedure")), Applicant: strings.TrimSpace(r.PostFormValue("applicant")),
		Agency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("agency")))}
	if v.Agency == "" {
		v.Agency = DemoDeskAgency
	}
	if v.Procedure == "" {
		v.Errors = append(v.Errors, fe("procedure", "procedure.required", "Hãy chọn thủ tục", "choose a procedure"))
	}
	if r.PostFormValue("step") == "prefill" && !personalID.MatchString(v.Applicant) {
		v.Errors = append(v.Errors, fe("applicant", "applicant.format", "Số định danh cá nhân gồm 12 chữ số", "the personal id has 12 digits"))
	}
	if len(v.Errors) > 0 {
		p.renderReceive(w, r, http.StatusUnprocessableEntity, v)
		return
	}
	pi, err := p.c.Svc.current(ctx, v.Procedure)
	if err != nil {
		if fault.Is(err, fault.NotFound) {
			v.Errors = append(v.Errors, fe("procedure", "procedure.not_found", "Không có thủ tục mã "+v.Procedure, "no procedure "+v.Procedure))
			p.renderReceive(w, r, http.StatusUnprocessableEntity, v)
			return
		}
		p.rd.RenderError(w, r, err)
		return
	}
	v.ProcName, v.Step, v.Docs = pi.p.Name, "form", receiveDocs(pi)
	switch r.PostFormValue("step") {
	case "prefill":
		if p.c.Prefill == nil {
			v.Error = "Chưa kết nối Cơ sở dữ liệu quốc gia về dân cư: không lấy được thông tin tự động, hãy nhập tờ khai theo giấy tờ của công dân."
			v.Fields = receiveFields(pi, nil, url.Values{"form.applicant_id": {v.Applicant}}, nil)
			p.renderReceive(w, r, http.StatusOK, v)
			return
		}
		rec, err := p.c.Prefill.Person(ctx, v.Applicant, Purpose{Official: who.ID, Issue: "Tiếp nhận hồ sơ trực tiếp: " + pi.p.Code})
		if err != nil {
			status := http.StatusBadGateway
			if f := fault.As(err); f != nil {
				v.Error = "Không lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư: " + f.Message
				status = web.StatusOf(err)
			} else {
				v.Error = "Không lấy được thông tin từ Cơ sở dữ liệu quốc gia về dân cư: " + err.Error()
			}
			v.Fields = receiveFields(pi, nil, url.Values{"form.applicant_id": {v.Applicant}}, nil)
			p.renderReceive(w, r, status, v)
			return
		}
		v.Prefilled = true
		v.Fields = receiveFields(pi, rec, nil, nil)
		p.renderReceive(w, r, http.StatusOK, v)
	case "submit":
		form := map[string]any{}
		if pi.schema != nil {
			for _, k := range pi.schema.order {
				s := strings.TrimSpace(r.PostFormValue("form." + k))
				if s == "" {
					continue
				}
				form[k] = formValue(pi.schema.props[k], s)
			}
		}
		raw, _ := json.Marshal(form)
		d, _, err := p.c.Svc.Create(ctx, CreateRequest{Procedure: pi.p.Code, Agency: v.Agency, Channel: ChannelInPerson, Form: raw,
			CreatedBy: who.ID, IdempotencyKey: r.PostFormValue("idempotency_key")})
		if err != nil {
			f := fault.As(err)
			if f == nil {
				p.rd.RenderError(w, r, err)
				return
			}
			v.Error = pick(web.Lang(r), f.Message, f.Detail)
			v.Errors = f.Fields
			v.Prefilled = r.PostFormValue("prefilled") != ""
			v.Fields = receiveFields(pi, nil, r.PostForm, f.Fields)
			p.renderReceive(w, r, web.StatusOf(err), v)
			return
		}
		http.Redirect(w, r, "/motcua/dossiers/"+url.PathEscape(d.Code)+"/receipt", http.StatusSeeOther)
	default:
		// Typing the form without the registry.
		v.Fields = receiveFields(pi, nil, url.Values{"form.applicant_id": {v.Applicant}}, nil)
		p.renderReceive(w, r, http.StatusOK, v)
	}
}

type receiptView struct {
	Who  string
	D    Dossier
	Docs []receiveDoc
}

func (p *Pages) receiptPage(w http.ResponseWriter, r *http.Request, who Official) {
	ctx := reqCtx(r)
	d, err := p.c.Svc.ForOfficial(ctx, who, r.PathValue("code"))
	if err != nil {
		p.rd.RenderError(w, r, err)
		return
	}
	v := receiptView{Who: who.ID, D: d}
	if pi, err := p.c.Svc.proc(ctx, d.Procedure, d.ProcedureVersion); err == nil {
		v.Docs = receiveDocs(pi)
	}
	title := "Giấy tiếp nhận hồ sơ và hẹn trả kết quả"
	p.rd.Render(w, r, http.StatusOK, "receipt.html", p.page(r, title, []web.Link{
		{Label: d.Code, Href: "/motcua/dossiers/" + url.PathEscape(d.Code)},
		{Label: title, Href: "/motcua/dossiers/" + url.PathEscape(d.Code) + "/receipt"}}, v))
}
