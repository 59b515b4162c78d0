package vnid

import (
	"fmt"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// AgencyCode is a mã định danh điện tử của cơ quan, tổ chức, such as
// "000.00.00.G22" (Văn phòng Chính phủ); the package documentation gives its
// structure. The zero value holds no code.
type AgencyCode struct {
	parts [5]string // parts[level], level 1 to 4; parts[0] unused
}

// agencyWidths is the number of characters of each level's part.
var agencyWidths = [5]int{0, 3, 2, 2, 3}

// ParseAgencyCode parses an agency electronic identifier, whose letter may be
// in lower case, or returns a fault.Invalid error with one field error,
// named field, per problem.
func ParseAgencyCode(field, s string) (AgencyCode, error) {
	a, fields := parseAgencyCode(field, s)
	if fields != nil {
		return AgencyCode{}, invalid(fields, "agency code")
	}
	return a, nil
}

// parseAgencyCode parses an agency code and returns its field errors, so
// that the dossier-code parser can report them among its own.
func parseAgencyCode(field, s string) (AgencyCode, []fault.FieldError) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if s == "" {
		return AgencyCode{}, []fault.FieldError{problem(field, "agency_code.required",
			"Vui lòng nhập mã định danh cơ quan",
			"agency code is required")}
	}
	raw := strings.Split(s, ".")
	if len(raw) != 4 {
		return AgencyCode{}, []fault.FieldError{problem(field, "agency_code.format",
			"Mã định danh cơ quan phải có dạng V1V2V3.Z1Z2.Y1Y2.MX1X2, ví dụ 000.00.00.G22",
			fmt.Sprintf("agency code must have 4 dot-separated parts V1V2V3.Z1Z2.Y1Y2.MX1X2, got %d", len(raw)))}
	}
	var a AgencyCode
	// The text runs from level 4 down to level 1.
	for i, part := range raw {
		a.parts[4-i] = part
	}
	var fields []fault.FieldError
	for level := 4; level >= 2; level-- {
		part, width := a.parts[level], agencyWidths[level]
		if len(part) != width || !isDigits(part) {
			fields = append(fields, problem(field, fmt.Sprintf("agency_code.level%d", level),
				fmt.Sprintf("Phần cấp %d (%s) của mã định danh cơ quan phải gồm %d chữ số", level, agencyPartName(level), width),
				fmt.Sprintf("the level-%d part must be %d digits, got %q", level, width, part)))
		}
	}
	if l1 := a.parts[1]; len(l1) != 3 || l1[0] < 'A' || l1[0] > 'Z' || !isDigits(l1[1:]) {
		fields = append(fields, problem(field, "agency_code.level1",
			"Phần cấp 1 (MX1X2) của mã định danh cơ quan phải gồm một chữ cái và 2 chữ số, ví dụ G22",
			fmt.Sprintf("the level-1 part must be a letter and 2 digits, got %q", l1)))
	}
	if fields != nil {
		return AgencyCode{}, fields
	}
	for level := 3; level <= 4; level++ {
		if !onlyZeros(a.parts[level]) && onlyZeros(a.parts[level-1]) {
			fields = append(fields, problem(field, "agency_code.hierarchy",
				fmt.Sprintf("Mã định danh cơ quan có phần cấp %d nhưng phần cấp %d đang để trống", level, level-1),
				fmt.Sprintf("the level-%d part is filled but the level-%d part is all zeros", level, level-1)))
		}
	}
	if fields != nil {
		return AgencyCode{}, fields
	}
	return a, nil
}

// agencyPartName returns the symbolic name of a level's part.
func agencyPartName(level int) string {
	return [5]string{"", "MX1X2", "Y1Y2", "Z1Z2", "V1V2V3"}[level]
}

// String returns the code, e.g. "000.00.00.G22".
func (a AgencyCode) String() string {
	if a.IsZero() {
		return ""
	}
	return a.parts[4] + "." + a.parts[3] + "." + a.parts[2] + "." + a.parts[1]
}

// IsZero reports whether a is the zero value, which holds no code.
func (a AgencyCode) IsZero() bool { return a.parts[1] == "" }

// Level returns the level of the agency, 1 to 4: the lowest level whose
// part is filled.
func (a AgencyCode) Level() int {
	if a.IsZero() {
		return 0
	}
	for level := 4; level >= 2; level-- {
		if !onlyZeros(a.parts[level]) {
			return level
		}
	}
	return 1
}

// Part returns the part of the given level, 1 to 4: "G22" for level 1,
// the digits for the others, "" for a level out of range.
func (a AgencyCode) Part(level int) string {
	if level < 1 || level > 4 {
		return ""
	}
	return a.parts[level]
}

// Level1 returns the code of the level-1 agency a belongs to, e.g.
// "000.00.00.G22"; for a level-1 agency, a itself.
func (a AgencyCode) Level1() AgencyCode {
	if a.IsZero() {
		return a
	}
	return AgencyCode{parts: [5]string{"", a.parts[1], "00", "00", "000"}}
}

// Parent returns the code of the agency one level up: a with its lowest
// filled part reset to zeros. It returns false for a level-1 agency.
func (a AgencyCode) Parent() (AgencyCode, bool) {
	level := a.Level()
	if level <= 1 {
		return AgencyCode{}, false
	}
	p := a
	p.parts[level] = strings.Repeat("0", agencyWidths[level])
	return p, true
}
