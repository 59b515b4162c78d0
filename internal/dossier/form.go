package dossier

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/platform/fault"
)

// The e-form validator: the subset of JSON Schema (draft 2020-12) that the
// procedures' forms use: type (object, array, string, number, integer,
// boolean), properties, required, additionalProperties false, pattern, enum,
// const, format (date, email), minLength/maxLength, minimum/maximum,
// exclusiveMinimum/exclusiveMaximum, items, minItems/maxItems, uniqueItems,
// and allOf with if/then/else. Other keywords are ignored. Each field gets
// at most one message, in Vietnamese, naming the field by its title.

type schemaNode struct {
	typ        string
	title      string
	props      map[string]*schemaNode
	order      []string // property names in the schema's order
	required   []string
	closed     bool // additionalProperties: false
	pattern    *regexp.Regexp
	enum       []any
	constVal   any
	hasConst   bool
	format     string
	minLen     *int
	maxLen     *int
	min, max   *float64
	xmin, xmax *float64
	items      *schemaNode
	minItems   *int
	maxItems   *int
	unique     bool
	allOf      []*schemaNode
	ifS        *schemaNode
	thenS      *schemaNode
	elseS      *schemaNode
}

// compileSchema reads a form's JSON Schema.
func compileSchema(raw json.RawMessage) (*schemaNode, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return &schemaNode{typ: "object"}, nil
	}
	return compileNode(raw)
}

func compileNode(raw json.RawMessage) (*schemaNode, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("dossier: form schema: %w", err)
	}
	n := &schemaNode{}
	str := func(k string) string {
		var s string
		if v, ok := m[k]; ok {
			json.Unmarshal(v, &s)
		}
		return s
	}
	intp := func(k string) *int {
		v, ok := m[k]
		if !ok {
			return nil
		}
		var i int
		if json.Unmarshal(v, &i) != nil {
			return nil
		}
		return &i
	}
	floatp := func(k string) *float64 {
		v, ok := m[k]
		if !ok {
			return nil
		}
		var f float64
		if json.Unmarshal(v, &f) != nil {
			return nil
		}
		return &f
	}
	sub := func(k string) (*schemaNode, error) {
		v, ok := m[k]
		if !ok {
			return nil, nil
		}
		return compileNode(v)
	}
	n.typ, n.title, n.format = str("type"), str("title"), str("format")
	if p := str("pattern"); p != "" {
		// A pattern RE2 cannot compile is left out rather than failing
		// every dossier of the procedure.
		n.pattern, _ = regexp.Compile(p)
	}
	n.minLen, n.maxLen = intp("minLength"), intp("maxLength")
	n.minItems, n.maxItems = intp("minItems"), intp("maxItems")
	n.min, n.max = floatp("minimum"), floatp("maximum")
	n.xmin, n.xmax = floatp("exclusiveMinimum"), floatp("exclusiveMaximum")
	if v, ok := m["uniqueItems"]; ok {
		json.Unmarshal(v, &n.unique)
	}
	if v, ok := m["additionalProperties"]; ok && string(bytes.TrimSpace(v)) == "false" {
		n.closed = true
	}
	if v, ok := m["required"]; ok {
		json.Unmarshal(v, &n.required)
	}
	if v, ok := m["enum"]; ok {
		if err := decodeNumbers(v, &n.enum); err != nil {
			return nil, fmt.Errorf("dossier: form schema enum: %w", err)
		}
	}
	if v, ok := m["const"]; ok {
		n.hasConst = true
		if err := decodeNumbers(v, &n.constVal); err != nil {
			return nil, fmt.Errorf("dossier: form schema const: %w", err)
		}
	}
	if v, ok := m["properties"]; ok {
		names, err := objectKeys(v)
		if err != nil {
			return nil, fmt.Errorf("dossier: form schema properties: %w", err)
		}
		var props map[string]json.RawMessage
		json.Unmarshal(v, &props)
		n.props, n.order = map[string]*schemaNode{}, names
		for _, name := range names {
			c, err := compileNode(props[name])
			if err != nil {
				return nil, err
			}
			n.props[name] = c
		}
	}
	var err error
	if n.items, err = sub("items"); err != nil {
		return nil, err
	}
	if n.ifS, err = sub("if"); err != nil {
		return nil, err
	}
	if n.thenS, err = sub("then"); err != nil {
		return nil, err
	}
	if n.elseS, err = sub("else"); err != nil {
		return nil, err
	}
	if v, ok := m["allOf"]; ok {
		var list []json.RawMessage
		if err := json.Unmarshal(v, &list); err != nil {
			return nil, fmt.Errorf("dossier: form schema allOf: %w", err)
		}
		for _, r := range list {
			c, err := compileNode(r)
			if err != nil {
				return nil, err
			}
			n.allOf = append(n.allOf, c)
		}
	}
	return n, nil
}

// objectKeys returns the keys of a JSON object in their order.
func objectKeys(raw json.RawMessage) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not an object")
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

func decodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}

// formErrors collects at most one error per field, in schema order.
type formErrors struct {
	list []fault.FieldError
	seen map[string]bool
}

func (e *formErrors) add(field, code, msg, detail string) {
	if e.seen[field] {
		return
	}
	if e.seen == nil {
		e.seen = map[string]bool{}
	}
	e.seen[field] = true
	e.list = append(e.list, fault.FieldError{Field: "form." + field, Code: code, Message: msg, Detail: detail})
}

// validateForm checks a submitted form (raw JSON) against the schema and
// returns the decoded value and one error per field at fault.
func validateForm(s *schemaNode, raw json.RawMessage) (map[string]any, []fault.FieldError) {
	var v any
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	if err := decodeNumbers(raw, &v); err != nil {
		return nil, []fault.FieldError{{Field: "form", Code: "form.json", Message: "Tờ khai điện tử không phải là dữ liệu JSON hợp lệ", Detail: "form is not valid JSON: " + err.Error()}}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, []fault.FieldError{{Field: "form", Code: "form.type", Message: "Tờ khai điện tử phải là một nhóm thông tin (đối tượng JSON)", Detail: "form must be a JSON object"}}
	}
	var e formErrors
	s.check(v, "", "", &e)
	return obj, e.list
}

// label is how a message names a field: its title, else its path.
func label(title, path string) string {
	if title == "" {
		title = path
	}
	return "“" + title + "”"
}

func (s *schemaNode) check(v any, path, title string, e *formErrors) {
	if s.title != "" {
		title = s.title
	}
	name := label(title, path)
	field := path
	if field == "" {
		field = "(form)"
	}
	if !s.checkType(v, field, name, e) {
		return
	}
	if s.hasConst && !equalJSON(v, s.constVal) {
		e.add(field, "form.const", fmt.Sprintf("%s phải là %s", name, display(s.constVal)), fmt.Sprintf("%s must be %v", field, s.constVal))
	}
	if s.enum != nil {
		found := false
		for _, x := range s.enum {
			if equalJSON(v, x) {
				found = true
				break
			}
		}
		if !found {
			opts := make([]string, len(s.enum))
			for i, x := range s.enum {
				opts[i] = display(x)
			}
			e.add(field, "form.enum", fmt.Sprintf("%s phải là một trong các giá trị: %s", name, strings.Join(opts, ", ")), fmt.Sprintf("%s must be one of %s", field, strings.Join(opts, ", ")))
		}
	}
	switch x := v.(type) {
	case string:
		s.checkString(x, field, name, e)
	case json.Number:
		f, _ := x.Float64()
		s.checkNumber(f, field, name, e)
	case []any:
		s.checkArray(x, path, field, name, title, e)
	case map[string]any:
		s.checkObject(x, path, e)
	}
	for _, sub := range s.allOf {
		sub.check(v, path, title, e)
	}
	if s.ifS != nil {
		var probe formErrors
		s.ifS.check(v, path, title, &probe)
		switch {
		case len(probe.list) == 0 && s.thenS != nil:
			s.thenS.check(v, path, title, e)
		case len(probe.list) > 0 && s.elseS != nil:
			s.elseS.check(v, path, title, e)
		}
	}
}

func (s *schemaNode) checkType(v any, field, name string, e *formErrors) bool {
	if s.typ == "" {
		return true
	}
	ok := false
	var msg string
	switch s.typ {
	case "string":
		_, ok = v.(string)
		msg = name + " phải là chuỗi ký tự"
	case "number":
		_, ok = v.(json.Number)
		msg = name + " phải là một số"
	case "integer":
		if n, isNum := v.(json.Number); isNum {
			f, err := n.Float64()
			ok = err == nil && f == math.Trunc(f)
		}
		msg = name + " phải là một số nguyên"
	case "boolean":
		_, ok = v.(bool)
		msg = name + " chỉ nhận giá trị có (true) hoặc không (false)"
	case "array":
		_, ok = v.([]any)
		msg = name + " phải là một danh sách"
	case "object":
		_, ok = v.(map[string]any)
		msg = name + " phải là một nhóm thông tin"
	case "null":
		ok = v == nil
		msg = name + " phải để trống"
	default:
		return true
	}
	if !ok {
		e.add(field, "form.type", msg, fmt.Sprintf("%s must be of type %s", field, s.typ))
	}
	return ok
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)

func (s *schemaNode) checkString(x, field, name string, e *formErrors) {
	n := utf8.RuneCountInString(x)
	if s.minLen != nil && n < *s.minLen {
		if *s.minLen == 1 {
			e.add(field, "form.required", "Vui lòng nhập "+name, field+" must not be empty")
		} else {
			e.add(field, "form.min_length", fmt.Sprintf("%s phải có ít nhất %d ký tự", name, *s.minLen), fmt.Sprintf("%s needs at least %d characters", field, *s.minLen))
		}
		return
	}
	if s.maxLen != nil && n > *s.maxLen {
		e.add(field, "form.max_length", fmt.Sprintf("%s không được dài quá %d ký tự", name, *s.maxLen), fmt.Sprintf("%s takes at most %d characters", field, *s.maxLen))
		return
	}
	if s.pattern != nil && !s.pattern.MatchString(x) {
		e.add(field, "form.pattern", name+" không đúng định dạng", fmt.Sprintf("%s must match %s", field, s.pattern))
		return
	}
	switch s.format {
	case "date":
		if _, err := time.Parse(time.DateOnly, x); err != nil || len(x) != 10 {
			e.add(field, "form.date", name+" phải là một ngày có thật, viết theo dạng năm-tháng-ngày (ví dụ 2026-02-13)", field+" must be a date YYYY-MM-DD")
		}
	case "email":
		if !emailRE.MatchString(x) {
			e.add(field, "form.email", name+" không phải là địa chỉ thư điện tử hợp lệ", field+" must be an email address")
		}
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (s *schemaNode) checkNumber(f float64, field, name string, e *formErrors) {
	switch {
	case s.min != nil && f < *s.min:
		e.add(field, "form.minimum", fmt.Sprintf("%s phải từ %s trở lên", name, num(*s.min)), fmt.Sprintf("%s must be at least %s", field, num(*s.min)))
	case s.xmin != nil && f <= *s.xmin:
		e.add(field, "form.minimum", fmt.Sprintf("%s phải lớn hơn %s", name, num(*s.xmin)), fmt.Sprintf("%s must be greater than %s", field, num(*s.xmin)))
	case s.max != nil && f > *s.max:
		e.add(field, "form.maximum", fmt.Sprintf("%s không được lớn hơn %s", name, num(*s.max)), fmt.Sprintf("%s must be at most %s", field, num(*s.max)))
	case s.xmax != nil && f >= *s.xmax:
		e.add(field, "form.maximum", fmt.Sprintf("%s phải nhỏ hơn %s", name, num(*s.xmax)), fmt.Sprintf("%s must be less than %s", field, num(*s.xmax)))
	}
}

func (s *schemaNode) checkArray(x []any, path, field, name, title string, e *formErrors) {
	switch {
	case s.minItems != nil && len(x) < *s.minItems:
		e.add(field, "form.min_items", fmt.Sprintf("%s cần ít nhất %d mục", name, *s.minItems), fmt.Sprintf("%s needs at least %d items", field, *s.minItems))
		return
	case s.maxItems != nil && len(x) > *s.maxItems:
		e.add(field, "form.max_items", fmt.Sprintf("%s có nhiều nhất %d mục", name, *s.maxItems), fmt.Sprintf("%s takes at most %d items", field, *s.maxItems))
		return
	}
	if s.unique {
		for i := range x {
			for j := i + 1; j < len(x); j++ {
				if equalJSON(x[i], x[j]) {
					e.add(field, "form.unique", fmt.Sprintf("%s có mục bị trùng (mục %d và mục %d)", name, i+1, j+1), fmt.Sprintf("%s items %d and %d are equal", field, i, j))
					return
				}
			}
		}
	}
	if s.items != nil {
		for i, it := range x {
			itemTitle := ""
			if title != "" {
				itemTitle = fmt.Sprintf("%s, mục %d", title, i+1)
			}
			s.items.check(it, fmt.Sprintf("%s[%d]", path, i), itemTitle, e)
		}
	}
}

func (s *schemaNode) checkObject(x map[string]any, path string, e *formErrors) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	for _, k := range s.required {
		if _, ok := x[k]; !ok {
			t := ""
			if p := s.props[k]; p != nil {
				t = p.title
			}
			e.add(join(k), "form.required", "Vui lòng nhập "+label(t, join(k)), join(k)+" is required")
		}
	}
	for _, k := range s.order {
		if v, ok := x[k]; ok {
			s.props[k].check(v, join(k), "", e)
		}
	}
	if s.closed {
		var unknown []string
		for k := range x {
			if _, ok := s.props[k]; !ok {
				unknown = append(unknown, k)
			}
		}
		sort.Strings(unknown)
		for _, k := range unknown {
			e.add(join(k), "form.unknown_field", fmt.Sprintf("Trường “%s” không có trong tờ khai của thủ tục này", k), "unknown field "+join(k))
		}
	}
}

// equalJSON compares two decoded JSON values, numbers by value.
func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case json.Number:
		y, ok := b.(json.Number)
		if !ok {
			return false
		}
		fx, _ := x.Float64()
		fy, _ := y.Float64()
		return fx == fy
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalJSON(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equalJSON(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

func display(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}
