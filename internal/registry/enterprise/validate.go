package enterprise

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/vnid"
	"github.com/vngov/vngov/internal/registry"
)

// Codes checks catalog codes; the registry declares what it needs and the
// process wires the shared e-catalogs to it (registry.CatalogCodes).
type Codes interface {
	// Valid reports whether code is in list on day (YYYY-MM-DD; "" means
	// any day).
	Valid(ctx context.Context, list, code, day string) bool
}

// ListChecker may also be implemented by Codes: it reports whether a
// catalog list exists and has items. The registry uses it to know whether
// the VSIC catalog is there yet.
type ListChecker interface {
	HasList(ctx context.Context, list string) bool
}

// VSICList is the catalog list of business lines (Hệ thống ngành kinh tế
// Việt Nam, Decision 27/2018/QĐ-TTg), level 4 codes.
const VSICList = "vsic"

// hasList reports whether codes knows list and it has items today: through
// ListChecker, or, for the shared e-catalogs themselves, by asking them.
func hasList(ctx context.Context, codes Codes, list string) bool {
	var cat *catalog.Service
	switch c := codes.(type) {
	case nil:
		return false
	case ListChecker:
		return c.HasList(ctx, list)
	case registry.CatalogCodes:
		cat = c.Catalog
	case *registry.CatalogCodes:
		cat = c.Catalog
	}
	if cat == nil {
		return false
	}
	l, err := cat.List(ctx, list)
	return err == nil && l.Items > 0
}

func fe(field, code, msg, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: msg, Detail: detail}
}

// isDigits reports whether s is non-empty and made of ASCII digits only.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// personIDs checks a list of personal IDs: structure only, and no
// duplicates. It writes back the trimmed IDs.
//
// Whether a person with that ID exists is the population registry's data,
// held by another agency: this registry does not read the population
// tables (in a deployment they are in another database, reached only over
// the exchange). The structure (12 digits, a birth-registration province)
// is checked here; existence is checked by the registration procedure,
// which calls the population registry's verify service with its own
// purpose.
func personIDs(field string, ids []string) []fault.FieldError {
	var out []fault.FieldError
	seen := map[string]int{}
	for i := range ids {
		ids[i] = strings.TrimSpace(ids[i])
		f := fmt.Sprintf("%s[%d]", field, i)
		if _, err := vnid.ParsePersonalID(f, ids[i]); err != nil {
			if fl := fault.As(err); fl != nil {
				out = append(out, fl.Fields...)
			}
			continue
		}
		if j, dup := seen[ids[i]]; dup {
			out = append(out, fe(f, field+".duplicate", fmt.Sprintf("Số định danh %s bị lặp (đã có ở vị trí %d)", ids[i], j+1), fmt.Sprintf("%s is listed twice (first at index %d)", ids[i], j)))
			continue
		}
		seen[ids[i]] = i
	}
	return out
}

// validate checks e on its own and against the catalogs, and writes back
// canonical codes. It returns one field error per problem.
func validate(ctx context.Context, e *Enterprise, codes Codes, today time.Time) []fault.FieldError {
	var out []fault.FieldError
	tc, err := vnid.ParseTaxCode("code", e.Code)
	if f := fault.As(err); f != nil {
		out = append(out, f.Fields...)
	} else if tc.IsBranch() {
		out = append(out, fe("code", "code.branch", "Mã số doanh nghiệp gồm 10 chữ số; mã 13 chữ số là của đơn vị phụ thuộc, ghi trong danh sách chi nhánh", "the enterprise code is the 10-digit tax code; 13-digit codes are dependent units, listed in branches"))
	} else {
		e.Code = tc.String()
	}

	text := func(field, value, what string, required bool, max int) string {
		v := strings.TrimSpace(value)
		switch {
		case v == "" && required:
			out = append(out, fe(field, field+".required", what+" không được để trống", field+" is required"))
		case utf8.RuneCountInString(v) > max:
			out = append(out, fe(field, field+".length", fmt.Sprintf("%s dài tối đa %d ký tự", what, max), fmt.Sprintf("%s is at most %d characters", field, max)))
		}
		return v
	}
	e.Name = text("name", e.Name, "Tên doanh nghiệp bằng tiếng Việt", true, 400)
	e.NameEn = text("name_en", e.NameEn, "Tên doanh nghiệp bằng tiếng nước ngoài", false, 400)
	e.ShortName = text("short_name", e.ShortName, "Tên viết tắt", false, 200)

	if _, ok := Types[e.Type]; !ok {
		out = append(out, fe("type", "type.value", "Loại hình doanh nghiệp phải là sole-proprietorship, single-member-llc, multi-member-llc, joint-stock hoặc partnership",
			"type must be sole-proprietorship, single-member-llc, multi-member-llc, joint-stock or partnership"))
	}
	if _, ok := Statuses[e.Status]; !ok {
		out = append(out, fe("status", "status.value", "Tình trạng phải là active, suspended, dissolving, dissolved hoặc bankrupt",
			"status must be active, suspended, dissolving, dissolved or bankrupt"))
	}
	reg, err := time.Parse(time.DateOnly, e.RegisteredOn)
	switch {
	case e.RegisteredOn == "":
		out = append(out, fe("registered_on", "registered_on.required", "Ngày đăng ký thành lập không được để trống", "registered_on is required"))
	case err != nil:
		out = append(out, fe("registered_on", "registered_on.format", "Ngày đăng ký thành lập phải có dạng NNNN-TT-NN", "registered_on must be YYYY-MM-DD"))
	case e.RegisteredOn > today.Format(time.DateOnly): // both YYYY-MM-DD, today as it is in Vietnam
		out = append(out, fe("registered_on", "registered_on.future", "Ngày đăng ký thành lập không được sau ngày hôm nay", "registered_on is in the future"))
	case reg.Year() < 1900:
		out = append(out, fe("registered_on", "registered_on.range", "Ngày đăng ký thành lập không hợp lệ", "registered_on is implausibly early"))
	}

	day := today.Format(time.DateOnly)
	e.HeadOffice.Commune = strings.TrimSpace(e.HeadOffice.Commune)
	switch {
	case e.HeadOffice.Commune == "":
		out = append(out, fe("head_office.commune", "head_office.commune.required", "Xã, phường nơi đặt trụ sở chính không được để trống", "head_office.commune is required"))
	case codes != nil && !codes.Valid(ctx, "admin-units", e.HeadOffice.Commune, day):
		out = append(out, fe("head_office.commune", "head_office.commune.unknown", fmt.Sprintf("Mã %s không phải là xã, phường đang có hiệu lực trong danh mục admin-units", e.HeadOffice.Commune),
			fmt.Sprintf("%q is not in the admin-units catalog today", e.HeadOffice.Commune)))
	}
	e.HeadOffice.Street = text("head_office.street", e.HeadOffice.Street, "Địa chỉ trụ sở chính (số nhà, đường)", true, 400)

	switch {
	case e.CharterCapital < 0:
		out = append(out, fe("charter_capital", "charter_capital.negative", "Vốn điều lệ không được âm", "charter_capital must not be negative"))
	case e.CharterCapital == 0 && e.Type != TypeSoleProprietorship && e.Type != "":
		out = append(out, fe("charter_capital", "charter_capital.required", "Công ty phải có vốn điều lệ (đồng)", "a company needs a charter_capital in VND"))
	}

	if len(e.Representatives) == 0 {
		out = append(out, fe("representatives", "representatives.required", "Doanh nghiệp phải có ít nhất một người đại diện theo pháp luật", "at least one legal representative is required"))
	}
	out = append(out, personIDs("representatives", e.Representatives)...)
	out = append(out, personIDs("members", e.Members)...)
	switch n := len(e.Members); {
	case e.Type == TypeSoleProprietorship && n != 1:
		out = append(out, fe("members", "members.owner", "Doanh nghiệp tư nhân do đúng một cá nhân làm chủ: ghi số định danh của chủ doanh nghiệp", "a sole proprietorship has exactly one owner, an individual"))
	case e.Type == TypeSingleMemberLLC && n > 1:
		out = append(out, fe("members", "members.single", "Công ty TNHH một thành viên chỉ có một chủ sở hữu", "a single-member LLC has one owner"))
	case e.Type == TypeMultiMemberLLC && n > 50:
		out = append(out, fe("members", "members.max", "Công ty TNHH hai thành viên trở lên có tối đa 50 thành viên", "a multi-member LLC has at most 50 members"))
	case e.Type == TypePartnership && n < 2:
		out = append(out, fe("members", "members.partners", "Công ty hợp danh phải có ít nhất hai thành viên hợp danh là cá nhân", "a partnership needs at least two general partners, who are individuals"))
	}

	// Business lines: VSIC level-4 codes. The VSIC catalog is not in the
	// shared e-catalogs yet: until a "vsic" list exists (and has items),
	// a code is accepted on its structure (4 digits) alone; once it exists,
	// a code must be in it today.
	if len(e.BusinessLines) == 0 {
		out = append(out, fe("business_lines", "business_lines.required", "Phải đăng ký ít nhất một ngành, nghề kinh doanh", "at least one business line is required"))
	}
	vsic := len(e.BusinessLines) > 0 && hasList(ctx, codes, VSICList)
	seenLine := map[string]bool{}
	for i := range e.BusinessLines {
		c := strings.TrimSpace(e.BusinessLines[i])
		e.BusinessLines[i] = c
		f := fmt.Sprintf("business_lines[%d]", i)
		switch {
		case vsic && !codes.Valid(ctx, VSICList, c, day):
			out = append(out, fe(f, "business_lines.unknown", fmt.Sprintf("Mã ngành %s không có trong danh mục %s", c, VSICList), fmt.Sprintf("%q is not in the %s catalog", c, VSICList)))
		case !vsic && (len(c) != 4 || !isDigits(c)):
			out = append(out, fe(f, "business_lines.format", "Mã ngành kinh tế (VSIC cấp 4) gồm 4 chữ số", "a business line is a 4-digit VSIC level-4 code"))
		case seenLine[c]:
			out = append(out, fe(f, "business_lines.duplicate", "Mã ngành "+c+" bị lặp", c+" is listed twice"))
		}
		seenLine[c] = true
	}

	seenBranch := map[string]bool{}
	for i := range e.Branches {
		f := fmt.Sprintf("branches[%d]", i)
		b, err := vnid.ParseTaxCode(f, e.Branches[i])
		if fl := fault.As(err); fl != nil {
			out = append(out, fl.Fields...)
			continue
		}
		switch {
		case !b.IsBranch():
			out = append(out, fe(f, "branches.not_branch", "Mã số đơn vị phụ thuộc gồm 13 chữ số (10 chữ số của doanh nghiệp và 3 chữ số của đơn vị)", "a dependent unit's code has 13 digits"))
		case !tc.IsZero() && b.Base() != tc.Base():
			out = append(out, fe(f, "branches.other", "Mã số đơn vị phụ thuộc phải bắt đầu bằng mã số của doanh nghiệp "+tc.Base(), "a dependent unit's code starts with the enterprise's code"))
		case seenBranch[b.String()]:
			out = append(out, fe(f, "branches.duplicate", "Mã số đơn vị phụ thuộc "+b.String()+" bị lặp", b.String()+" is listed twice"))
		default:
			e.Branches[i] = b.String()
		}
		seenBranch[b.String()] = true
	}
	return out
}

// invalidQuery is the 422 of one bad query parameter.
func invalidQuery(field, code, msg, detail string) error {
	return fault.Invalidf([]fault.FieldError{fe(field, code, msg, detail)}, "%s", detail)
}
