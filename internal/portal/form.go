package portal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// The e-form as the portal renders it: the procedure's JSON Schema
// (draft 2020-12, the subset the procedures use) and its form_ui hints
// become labelled inputs, one per top-level property in the schema's
// order. Values travel as the strings the inputs hold, keyed by input
// name ("form.<field>", "form.<field>[i].<column>" for tables); typed
// JSON is made from them only when the form is checked or filed. The
// dossier engine checks the form against the schema: its messages name
// fields the same way, so each lands next to its input.

// schemaProp is one property of the form's schema.
type schemaProp struct {
	Type        string                `json:"type"`
	Title       string                `json:"title"`
	Description string                `json:"description"`
	Format      string                `json:"format"`
	Pattern     string                `json:"pattern"`
	Enum        []any                 `json:"enum"`
	Default     any                   `json:"default"`
	MaxLength   *int                  `json:"maxLength"`
	Minimum     *float64              `json:"minimum"`
	Maximum     *float64              `json:"maximum"`
	Items       *schemaProp           `json:"items"`
	Properties  map[string]schemaProp `json:"properties"`
	Required    []string              `json:"required"`
	order       []string
}

// uiHint is a field's form_ui entry.
type uiHint struct {
	Prefill string     `json:"prefill"`
	Widget  string     `json:"widget"`
	Options []uiOption `json:"options"`
	Catalog string     `json:"catalog"`
	Help    string     `json:"help"`
}

type uiOption struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// formSpec is a procedure's e-form made ready to render and to read back.
type formSpec struct {
	Title string
	props map[string]schemaProp
	order []string
	req   map[string]bool
	ui    map[string]uiHint
}

// parseForm reads a procedure's form schema and UI hints.
func parseForm(schema, ui json.RawMessage) (*formSpec, error) {
	f := &formSpec{props: map[string]schemaProp{}, req: map[string]bool{}, ui: map[string]uiHint{}}
	if len(bytes.TrimSpace(schema)) == 0 {
		return f, nil
	}
	var root schemaProp
	if err := json.Unmarshal(schema, &root); err != nil {
		return nil, fmt.Errorf("portal: form schema: %w", err)
	}
	order, err := propertyOrder(schema)
	if err != nil {
		return nil, err
	}
	f.Title, f.props, f.order = root.Title, root.Properties, order
	for _, k := range root.Required {
		f.req[k] = true
	}
	// Column order of table fields (arrays of objects).
	var raw struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	json.Unmarshal(schema, &raw)
	for k, p := range f.props {
		if p.Type == "array" && p.Items != nil && p.Items.Type == "object" {
			var item struct {
				Items json.RawMessage `json:"items"`
			}
			json.Unmarshal(raw.Properties[k], &item)
			if o, err := propertyOrder(item.Items); err == nil {
				p.Items.order = o
				f.props[k] = p
			}
		}
	}
	if len(bytes.TrimSpace(ui)) > 0 {
		if err := json.Unmarshal(ui, &f.ui); err != nil {
			return nil, fmt.Errorf("portal: form hints: %w", err)
		}
	}
	return f, nil
}

// propertyOrder returns the keys of an object schema's properties in the
// order they are written.
func propertyOrder(schema json.RawMessage) ([]string, error) {
	var m struct {
		Properties json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(schema, &m); err != nil || len(m.Properties) == 0 {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(m.Properties))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("portal: form schema: properties is not an object")
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// applicantPrefill is where the standard applicant fields come from when
// the form's hints do not say (the same mapping as the one-stop desk's).
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

// prefillHint is the registry field that fills key, or "".
func (f *formSpec) prefillHint(key string) string {
	if h := f.ui[key].Prefill; h != "" {
		return h
	}
	return applicantPrefill[key]
}

// registryFields lists the fields the population registry fills, by
// title, for the consent screen.
func (f *formSpec) registryFields() []string {
	var out []string
	for _, k := range f.order {
		if strings.HasPrefix(f.prefillHint(k), "population.") {
			out = append(out, f.title(k))
		}
	}
	return out
}

func (f *formSpec) title(k string) string {
	if t := f.props[k].Title; t != "" {
		return t
	}
	return k
}

// Prefill sources, as the form marks them.
const (
	SourceRegistry = "registry" // Cơ sở dữ liệu quốc gia về dân cư
	SourceAccount  = "account"  // the citizen's identity account
)

// recordValue follows a prefill hint ("population.permanent_residence.commune")
// into a registry record.
func recordValue(rec map[string]any, hint string) (any, bool) {
	path, ok := strings.CutPrefix(hint, "population.")
	if !ok {
		return nil, false
	}
	var cur any = rec
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[part]; !ok {
			return nil, false
		}
	}
	if cur == nil {
		return nil, false
	}
	return cur, true
}

// prefill fills values from the registry record (when rec is not nil)
// and from the citizen's account, and notes each filled field's source.
// Values the citizen has typed are not replaced.
func (f *formSpec) prefill(values, sources map[string]string, rec map[string]any, c Citizen) {
	for _, k := range f.order {
		name := "form." + k
		if hint := f.prefillHint(k); rec != nil && hint != "" {
			if v, ok := recordValue(rec, hint); ok {
				if s := asText(v); s != "" {
					values[name], sources[k] = s, SourceRegistry
					continue
				}
			}
		}
		var acc string
		switch k {
		case "applicant_email":
			acc = c.Email
		case "applicant_phone":
			acc = domesticPhone(c.Phone)
		case "applicant_id":
			acc = c.ID
		case "applicant_full_name":
			acc = c.Name
		}
		if acc != "" && values[name] == "" {
			values[name], sources[k] = acc, SourceAccount
		}
	}
}

// domesticPhone writes a phone number the way Vietnamese forms ask for
// it: +84 912 345 678 becomes 0912345678.
func domesticPhone(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '.' || r == '-' {
			return -1
		}
		return r
	}, s)
	if rest, ok := strings.CutPrefix(s, "+84"); ok {
		return "0" + rest
	}
	return s
}

// defaults fills the schema's default values of fields still empty.
func (f *formSpec) defaults(values map[string]string) {
	for _, k := range f.order {
		name := "form." + k
		if _, set := values[name]; set {
			continue
		}
		if d := f.props[k].Default; d != nil {
			values[name] = asText(d)
		}
	}
}

// asText writes a JSON value as an input holds it; a list becomes one
// item per line.
func asText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case []any:
		parts := make([]string, 0, len(x))
		for _, it := range x {
			parts = append(parts, asText(it))
		}
		return strings.Join(parts, "\n")
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Maximum rows of a table field the form offers.
const maxTableRows = 20

var rowName = regexp.MustCompile(`^form\.([a-z0-9_]+)\[([0-9]+)\]\.([a-z0-9_]+)$`)

// read takes the form's inputs from a posted form: every "form.*" input
// the schema knows, trimmed; unknown names are dropped.
func (f *formSpec) read(get func(string) string, has func(string) bool) map[string]string {
	out := map[string]string{}
	for _, k := range f.order {
		p := f.props[k]
		name := "form." + k
		switch {
		case p.Type == "boolean":
			if has(name) {
				out[name] = "true"
			} else {
				out[name] = "false"
			}
		case p.Type == "array" && p.Items != nil && p.Items.Type == "object":
			for i := 0; i < maxTableRows; i++ {
				for _, col := range p.Items.order {
					n := fmt.Sprintf("%s[%d].%s", name, i, col)
					if v := strings.TrimSpace(get(n)); v != "" {
						out[n] = v
					}
				}
			}
		default:
			if v := strings.TrimSpace(get(name)); v != "" {
				out[name] = v
			}
		}
	}
	return out
}

// json makes the e-form's JSON from input values, typed by the schema.
// A value that cannot take its type is kept as text, so that the engine's
// check names the field.
func (f *formSpec) json(values map[string]string) json.RawMessage {
	form := map[string]any{}
	for _, k := range f.order {
		p := f.props[k]
		name := "form." + k
		if p.Type == "array" && p.Items != nil && p.Items.Type == "object" {
			var rows []any
			for i := 0; i < maxTableRows; i++ {
				row := map[string]any{}
				for _, col := range p.Items.order {
					if v, ok := values[fmt.Sprintf("%s[%d].%s", name, i, col)]; ok && v != "" {
						row[col] = typed(p.Items.Properties[col], v)
					}
				}
				if len(row) > 0 {
					rows = append(rows, row)
				}
			}
			if rows != nil {
				form[k] = rows
			}
			continue
		}
		v, ok := values[name]
		if !ok || v == "" {
			continue
		}
		if p.Type == "boolean" && v == "false" && !f.req[k] && p.Default == nil {
			continue
		}
		form[k] = typed(p, v)
	}
	b, _ := json.Marshal(form)
	return b
}

// typed converts an input's text to the JSON type of p.
func typed(p schemaProp, s string) any {
	s = strings.TrimSpace(s)
	switch p.Type {
	case "integer", "number":
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return json.Number(s)
		}
	case "boolean":
		return s == "true" || s == "on" || s == "1"
	case "array":
		var arr []any
		for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == ';' || r == '\r' }) {
			if part = strings.TrimSpace(part); part != "" {
				item := schemaProp{Type: "string"}
				if p.Items != nil {
					item = *p.Items
				}
				arr = append(arr, typed(item, part))
			}
		}
		return arr
	}
	return s
}

// field is one input of the rendered e-form.
type field struct {
	Key      string
	ID       string // the input's id and name: "form.<key>", as the engine's messages name it
	Label    string
	Hint     string
	Widget   string // text, date, email, tel, number, select, radio, checkbox, list, table
	Options  []uiOption
	Required bool
	Value    string
	Source   string // where a prefilled value came from (SourceRegistry, SourceAccount)
	Error    string
	Pattern  string
	Max      string
	Min      string
	MaxLen   int
	Columns  []column // a table's columns
	Rows     [][]cell // a table's rows
}

type column struct {
	Key, Label, Hint string
}

type cell struct {
	ID, Label, Value, Error string
}

// fields lays the form out for a page with values, their sources and the
// engine's messages.
func (f *formSpec) fields(values, sources map[string]string, errs []fault.FieldError, lang string) []field {
	msg := map[string]string{}
	for _, e := range errs {
		m := e.Message
		if lang != "vi" && e.Detail != "" {
			m = e.Detail
		}
		if _, seen := msg[e.Field]; !seen {
			msg[e.Field] = m
		}
	}
	var out []field
	for _, k := range f.order {
		p := f.props[k]
		ui := f.ui[k]
		fd := field{Key: k, ID: "form." + k, Label: f.title(k), Hint: p.Description, Required: f.req[k], Value: values["form."+k], Source: sources[k]}
		if ui.Help != "" {
			fd.Hint = strings.TrimSpace(fd.Hint + " " + ui.Help)
		}
		fd.Widget = widget(p, ui)
		fd.Options = ui.Options
		if len(fd.Options) == 0 && len(p.Enum) > 0 {
			for _, e := range p.Enum {
				fd.Options = append(fd.Options, uiOption{Value: asText(e), Label: asText(e)})
			}
		}
		if (fd.Widget == "select" || fd.Widget == "radio") && len(fd.Options) == 0 {
			fd.Widget = "text" // a catalog-backed choice: the code is typed
		}
		if p.Pattern != "" && fd.Widget == "text" {
			fd.Pattern = htmlPattern(p.Pattern)
		}
		if p.MaxLength != nil {
			fd.MaxLen = *p.MaxLength
		}
		if p.Minimum != nil {
			fd.Min = strconv.FormatFloat(*p.Minimum, 'f', -1, 64)
		}
		if p.Maximum != nil {
			fd.Max = strconv.FormatFloat(*p.Maximum, 'f', -1, 64)
		}
		fd.Error = msg[fd.ID]
		if fd.Widget == "table" {
			for _, col := range p.Items.order {
				cp := p.Items.Properties[col]
				t := cp.Title
				if t == "" {
					t = col
				}
				fd.Columns = append(fd.Columns, column{Key: col, Label: t, Hint: cp.Description})
			}
			used := 0
			for i := 0; i < maxTableRows; i++ {
				for _, col := range p.Items.order {
					if values[fmt.Sprintf("%s[%d].%s", fd.ID, i, col)] != "" {
						used = i + 1
					}
				}
			}
			for i := 0; i < min(maxTableRows, used+2); i++ {
				var row []cell
				for _, c := range fd.Columns {
					id := fmt.Sprintf("%s[%d].%s", fd.ID, i, c.Key)
					row = append(row, cell{ID: id, Label: c.Label, Value: values[id], Error: msg[id]})
				}
				fd.Rows = append(fd.Rows, row)
			}
		}
		if fd.Error == "" {
			// Messages about an item of a list ("form.x[2]") belong to its field.
			for _, e := range errs {
				if strings.HasPrefix(e.Field, fd.ID+"[") && fd.Widget != "table" {
					fd.Error = msg[e.Field]
					break
				}
			}
		}
		out = append(out, fd)
	}
	return out
}

// widget picks the input for a property.
func widget(p schemaProp, ui uiHint) string {
	switch ui.Widget {
	case "select", "radio", "checkbox", "number", "tel", "email", "list", "table":
		if ui.Widget == "table" && (p.Items == nil || p.Items.Type != "object") {
			return "list"
		}
		return ui.Widget
	}
	switch {
	case p.Type == "boolean":
		return "checkbox"
	case p.Type == "integer" || p.Type == "number":
		return "number"
	case p.Type == "array" && p.Items != nil && p.Items.Type == "object":
		return "table"
	case p.Type == "array":
		return "list"
	case len(p.Enum) > 0:
		return "select"
	case p.Format == "date":
		return "date"
	case p.Format == "email":
		return "email"
	}
	return "text"
}

// htmlPattern turns a schema pattern into an HTML pattern attribute
// (which is anchored already), or "" when it is not a simple one.
func htmlPattern(p string) string {
	p = strings.TrimSuffix(strings.TrimPrefix(p, "^"), "$")
	if strings.ContainsAny(p, "^$") {
		return ""
	}
	if _, err := regexp.Compile("^(?:" + p + ")$"); err != nil {
		return ""
	}
	return p
}

// summary is a field's value as the review page shows it.
func (f *formSpec) summary(values, sources map[string]string) []reviewRow {
	var out []reviewRow
	for _, fd := range f.fields(values, sources, nil, "vi") {
		r := reviewRow{Label: fd.Label, Source: fd.Source}
		switch fd.Widget {
		case "checkbox":
			r.Bool, r.IsBool = fd.Value == "true", true
		case "select", "radio":
			r.Value = fd.Value
			for _, o := range fd.Options {
				if o.Value == fd.Value {
					r.Value = o.Label
				}
			}
		case "table":
			for _, row := range fd.Rows {
				var parts []string
				for _, c := range row {
					if c.Value != "" {
						parts = append(parts, c.Label+": "+c.Value)
					}
				}
				if len(parts) > 0 {
					r.Lines = append(r.Lines, strings.Join(parts, "; "))
				}
			}
		case "list":
			for _, l := range strings.FieldsFunc(fd.Value, func(r rune) bool { return r == '\n' || r == ',' || r == ';' || r == '\r' }) {
				if l = strings.TrimSpace(l); l != "" {
					r.Lines = append(r.Lines, l)
				}
			}
		default:
			r.Value = fd.Value
		}
		if r.Value == "" && len(r.Lines) == 0 && !r.IsBool {
			continue
		}
		out = append(out, r)
	}
	return out
}

type reviewRow struct {
	Label, Value, Source string
	Lines                []string
	Bool, IsBool         bool
}
