package result

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/dossier"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/vntext"
	"github.com/vngov/vngov/internal/procedure"
)

// Dossiers is what delivery needs of the one-stop engine: a dossier, and
// recording that its result was delivered electronically (which moves it
// from 9, processed, to 10, result returned). *dossier.Service satisfies
// it.
type Dossiers interface {
	Get(ctx context.Context, code string) (dossier.Dossier, error)
	DeliverElectronic(ctx context.Context, code, uri string) (dossier.Dossier, error)
}

// Procedures gives the procedure version a dossier was filed under.
// *procedure.Service satisfies it.
type Procedures interface {
	GetVersion(ctx context.Context, code string, version int) (procedure.Procedure, error)
}

// Names names codes of the shared catalogs ("agencies", "admin-units",
// "ethnic-groups", "countries"); ok is false when it cannot.
type Names interface {
	Name(ctx context.Context, list, code string) (name string, ok bool)
}

// Deliverer issues a dossier's result when a leader approves the dossier,
// and has the engine deliver it electronically. It consumes
// dossier.approve events; delivery is idempotent (Issue is, per dossier
// and document type, and a dossier already delivered is left alone), so a
// redelivered event issues nothing twice.
type Deliverer struct {
	Results    *Service
	Dossiers   Dossiers
	Procedures Procedures
	Names      Names // optional: without it, codes are printed as they are
	Log        *slog.Logger
}

// Consumer is the durable name of the dossier.approve consumer.
const Consumer = "result-deliver"

// Subscribe starts consuming dossier.approve events.
func (d *Deliverer) Subscribe(ctx context.Context, b *bus.Bus) (*bus.Subscription, error) {
	return b.Subscribe(ctx, Consumer, dossier.EventPrefix+dossier.ActionApprove, d.Handle)
}

// approveEvent is what delivery reads of a dossier.approve event.
type approveEvent struct {
	Code     string          `json:"code"`
	Channel  dossier.Channel `json:"channel"`
	ToStatus dossier.Status  `json:"to_status"`
}

// Handle processes one dossier.approve event. An error asks the bus to
// deliver the event again later: it is returned only for failures that a
// retry may cure.
func (d *Deliverer) Handle(ctx context.Context, ev bus.Event) error {
	var e approveEvent
	if err := json.Unmarshal(ev.Data, &e); err != nil || e.Code == "" {
		d.log().Error("result: undecodable dossier.approve event dropped", "event", ev.ID, "err", err)
		return nil
	}
	if e.ToStatus != dossier.StatusProcessed || e.Channel != dossier.ChannelOnline {
		// Dossiers filed in person or by post get their result at the
		// desk, where the receptionist returns it.
		return nil
	}
	iss, err := d.Deliver(ctx, e.Code)
	switch k := fault.KindOf(err); {
	case err == nil:
		if iss.URI != "" {
			d.log().Info("result: delivered", "dossier", e.Code, "uri", iss.URI, "replayed", iss.Replayed)
		}
		return nil
	case k == fault.Invalid || k == fault.NotFound || k == fault.Conflict || k == fault.Forbidden:
		// Retrying will not help: say why and go on.
		d.log().Error("result: result not delivered", "dossier", e.Code, "event", ev.ID, "err", err)
		return nil
	default:
		return err
	}
}

func (d *Deliverer) log() *slog.Logger {
	if d.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Log
}

// Deliver issues the result of a processed dossier and delivers it. A
// dossier whose result was already returned gets nothing new; the zero
// Issued says so.
func (d *Deliverer) Deliver(ctx context.Context, code string) (Issued, error) {
	ds, err := d.Dossiers.Get(ctx, code)
	if err != nil {
		return Issued{}, err
	}
	if ds.Status != dossier.StatusProcessed {
		return Issued{}, nil // returned already (in person, or an earlier delivery), or no longer to deliver
	}
	p, err := d.Procedures.GetVersion(ctx, ds.Procedure, ds.ProcedureVersion)
	if err != nil {
		return Issued{}, err
	}
	req := d.Request(ctx, ds, p)
	iss, err := d.Results.Issue(ctx, req)
	if err != nil {
		return Issued{}, err
	}
	if _, err := d.Dossiers.DeliverElectronic(ctx, code, iss.URI); err != nil {
		if fault.Is(err, fault.Conflict) {
			// Delivered meanwhile (another delivery of the event).
			if cur, gerr := d.Dossiers.Get(ctx, code); gerr == nil && cur.Status == dossier.StatusReturned {
				return iss, nil
			}
		}
		return iss, err
	}
	return iss, nil
}

// Request builds the issue request of a dossier's result: the procedure's
// result document, issued by the dossier's agency to the applicant, with
// the e-form's content labelled from the procedure's form.
func (d *Deliverer) Request(ctx context.Context, ds dossier.Dossier, p procedure.Procedure) IssueRequest {
	agencyName := ds.Agency
	if d.Names != nil {
		if n, ok := d.Names.Name(ctx, "agencies", ds.Agency); ok {
			agencyName = n
		}
	}
	docType, title := DocTypeOf(p)
	procName := ds.ProcedureName
	if procName == "" {
		procName = p.Name
	}
	return IssueRequest{Agency: ds.Agency, AgencyName: agencyName, DocType: docType, Title: title, HolderID: ds.Applicant.ID, HolderName: ds.Applicant.Name,
		DossierCode: ds.Code, Procedure: strings.TrimSpace(p.Code + " " + procName), Fields: d.formFields(ctx, p, ds.Form),
		IssuedBy: agencyName, Demo: p.Demo}
}

// docTypes are the document types of the seeded procedures: a short code
// (used in URIs) and the title printed.
var docTypes = map[string][2]string{
	"1.001193": {"GKS", "Giấy khai sinh"},
	"1.000894": {"GCNKH", "Giấy chứng nhận kết hôn"},
	"2.000635": {"TLHT", "Trích lục hộ tịch (bản sao)"},
	"3.000333": {"PLLTP", "Phiếu lý lịch tư pháp"},
	"1.001612": {"GCNHKD", "Giấy chứng nhận đăng ký hộ kinh doanh"},
	"9.900006": {"GCNDKDN", "Giấy chứng nhận đăng ký doanh nghiệp"},
	"1.013225": {"GPXD", "Giấy phép xây dựng"},
	"1.004222": {"TBCT", "Thông báo kết quả đăng ký cư trú"},
}

// DocTypeOf returns the document type code and title of a procedure's
// result: from the table of known procedures, else from the procedure's
// result_document (its first clause as the title, the initials of its
// words as the code).
func DocTypeOf(p procedure.Procedure) (code, title string) {
	if t, ok := docTypes[p.Code]; ok {
		return t[0], t[1]
	}
	title = strings.TrimSpace(p.Result)
	for _, cut := range []string{" (", ";", ",", " và ", " kèm "} {
		if i := strings.Index(title, cut); i > 0 {
			title = title[:i]
		}
	}
	if title == "" {
		title = "Kết quả giải quyết thủ tục hành chính"
	}
	var b strings.Builder
	for _, w := range strings.Fields(vntext.Fold(title)) {
		r, _ := utf8.DecodeRuneInString(w)
		if r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) && b.Len() < 8 {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	code = b.String()
	if len(code) < 2 {
		code = "KQ"
	}
	return code, title
}

// formFields lists the e-form's answers as a document's lines, in the
// form's order, labelled with the form's titles: choices by their labels,
// catalog codes by their names, dates as dd/mm/yyyy. The applicant's own
// answers (applicant_*: the holder is printed on its own) and empty or
// unticked answers are left out.
func (d *Deliverer) formFields(ctx context.Context, p procedure.Procedure, form json.RawMessage) []Field {
	var schema struct {
		Properties map[string]struct {
			Title  string `json:"title"`
			Type   string `json:"type"`
			Format string `json:"format"`
		} `json:"properties"`
	}
	var ui map[string]struct {
		Widget  string `json:"widget"`
		Catalog string `json:"catalog"`
		Options []struct {
			Value any    `json:"value"`
			Label string `json:"label"`
		} `json:"options"`
	}
	var values map[string]any
	if json.Unmarshal(p.Form, &schema) != nil || json.Unmarshal(form, &values) != nil {
		return nil
	}
	_ = json.Unmarshal(p.FormUI, &ui)
	var out []Field
	for _, key := range propertyOrder(p.Form) {
		prop, ok := schema.Properties[key]
		v, present := values[key]
		if !ok || !present || v == nil || strings.HasPrefix(key, "applicant_") || len(out) >= maxFields {
			continue
		}
		u := ui[key]
		if u.Widget == "tel" || u.Widget == "email" || prop.Format == "email" {
			continue
		}
		var text string
		switch x := v.(type) {
		case bool:
			if !x {
				continue
			}
			text = "Có"
		case float64:
			if x == math.Trunc(x) {
				text = strconv.FormatInt(int64(x), 10)
			} else {
				text = strconv.FormatFloat(x, 'f', -1, 64)
			}
		case string:
			text = strings.TrimSpace(x)
			if prop.Format == "date" && len(text) == 10 && text[4] == '-' && text[7] == '-' {
				text = text[8:10] + "/" + text[5:7] + "/" + text[:4]
			}
			for _, o := range u.Options {
				if fmt.Sprint(o.Value) == x {
					text = o.Label
				}
			}
			if u.Catalog != "" && d.Names != nil {
				if n, ok := d.Names.Name(ctx, u.Catalog, x); ok {
					text = n
				}
			}
		case []any:
			var parts []string
			for _, e := range x {
				if e != nil {
					parts = append(parts, fmt.Sprint(e))
				}
			}
			text = strings.Join(parts, ", ")
		default:
			continue
		}
		if text == "" {
			continue
		}
		label := prop.Title
		if label == "" {
			label = key
		}
		if r := []rune(text); len(r) > maxValueRunes {
			text = string(r[:maxValueRunes-1]) + "…"
		}
		if r := []rune(label); len(r) > maxLabelRunes {
			label = string(r[:maxLabelRunes-1]) + "…"
		}
		out = append(out, Field{Label: label, Value: text})
	}
	return out
}

// propertyOrder returns the keys of a JSON Schema's top-level properties
// in the order the schema writes them.
func propertyOrder(schema json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(schema))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		if t != "properties" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			return nil
		}
		var keys []string
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return keys
			}
			keys = append(keys, fmt.Sprint(k))
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return keys
			}
		}
		return keys
	}
	return nil
}
