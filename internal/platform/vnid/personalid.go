package vnid

import (
	"fmt"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// The values of sex used by PersonalID.
const (
	Male   = "male"
	Female = "female"
)

// The range of birth years a personal identification number can encode.
const (
	MinBirthYear = 1900
	MaxBirthYear = 2399
)

// PersonalID is a số định danh cá nhân, the 12-digit number printed on the
// citizen identity card (CCCD); the package documentation gives its layout.
// The zero value holds no number.
type PersonalID struct {
	s string
}

// ParsePersonalID parses a personal identification number, or returns a
// fault.Invalid error with one field error, named field, per problem.
func ParsePersonalID(field, s string) (PersonalID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return PersonalID{}, invalid([]fault.FieldError{problem(field, "personal_id.required",
			"Vui lòng nhập số định danh cá nhân",
			"personal ID is required")}, "personal ID")
	}
	var fields []fault.FieldError
	if !isDigits(s) {
		fields = append(fields, problem(field, "personal_id.digits",
			"Số định danh cá nhân chỉ được gồm các chữ số",
			"personal ID must contain only the digits 0-9"))
	}
	if n := len([]rune(s)); n != 12 {
		fields = append(fields, problem(field, "personal_id.length",
			"Số định danh cá nhân phải gồm 12 chữ số",
			fmt.Sprintf("personal ID must be 12 digits long, got %d characters", n)))
	}
	if fields == nil {
		if _, ok := provinces[s[:3]]; !ok {
			fields = append(fields, problem(field, "personal_id.province",
				"Ba chữ số đầu của số định danh cá nhân không phải là mã tỉnh, thành phố nơi đăng ký khai sinh",
				fmt.Sprintf("the first three digits %q are not a birth-registration province code", s[:3])))
		}
	}
	if fields != nil {
		return PersonalID{}, invalid(fields, "personal ID")
	}
	return PersonalID{s: s}, nil
}

// NewPersonalID builds a personal identification number for tests and
// synthetic data from a province code such as "001", Male or Female, a birth
// year from MinBirthYear to MaxBirthYear and a serial from 0 to 999999.
func NewPersonalID(provinceCode string, sex string, birthYear int, serial int) (PersonalID, error) {
	var fields []fault.FieldError
	if _, ok := provinces[provinceCode]; !ok {
		fields = append(fields, problem("province_code", "personal_id.province",
			"Mã tỉnh, thành phố nơi đăng ký khai sinh không hợp lệ",
			fmt.Sprintf("%q is not a birth-registration province code", provinceCode)))
	}
	if sex != Male && sex != Female {
		fields = append(fields, problem("sex", "personal_id.sex",
			"Giới tính phải là nam hoặc nữ",
			fmt.Sprintf("sex must be %q or %q, got %q", Male, Female, sex)))
	}
	if birthYear < MinBirthYear || birthYear > MaxBirthYear {
		fields = append(fields, problem("birth_year", "personal_id.birth_year",
			fmt.Sprintf("Năm sinh phải từ %d đến %d", MinBirthYear, MaxBirthYear),
			fmt.Sprintf("birth year must be from %d to %d, got %d", MinBirthYear, MaxBirthYear, birthYear)))
	}
	if serial < 0 || serial > 999999 {
		fields = append(fields, problem("serial", "personal_id.serial",
			"Số ngẫu nhiên phải từ 0 đến 999999",
			fmt.Sprintf("serial must be from 0 to 999999, got %d", serial)))
	}
	if fields != nil {
		return PersonalID{}, invalid(fields, "personal ID parts")
	}
	digit := (birthYear - MinBirthYear) / 100 * 2
	if sex == Female {
		digit++
	}
	return PersonalID{s: fmt.Sprintf("%s%d%02d%06d", provinceCode, digit, birthYear%100, serial)}, nil
}

// String returns the 12 digits.
func (id PersonalID) String() string { return id.s }

// IsZero reports whether id is the zero value, which holds no number.
func (id PersonalID) IsZero() bool { return id.s == "" }

// ProvinceCode returns the three-digit birth-registration province code.
func (id PersonalID) ProvinceCode() string {
	if id.s == "" {
		return ""
	}
	return id.s[:3]
}

// ProvinceName returns the name of the birth-registration province.
func (id PersonalID) ProvinceName() string { return provinces[id.ProvinceCode()] }

// Sex returns Male or Female, as encoded in the fourth digit.
func (id PersonalID) Sex() string {
	if id.s == "" {
		return ""
	}
	if (id.s[3]-'0')%2 == 0 {
		return Male
	}
	return Female
}

// BirthYear returns the year of birth encoded in digits 4 to 6.
func (id PersonalID) BirthYear() int {
	if id.s == "" {
		return 0
	}
	century := int(id.s[3]-'0') / 2
	return MinBirthYear + century*100 + atoi(id.s[4:6])
}

// ConsistentWith returns one field error, named field, for each of the birth
// year and sex of a record that disagrees with the number; a birthYear of 0
// or an empty sex is not checked.
func (id PersonalID) ConsistentWith(field string, birthYear int, sex string) []fault.FieldError {
	var fields []fault.FieldError
	if birthYear != 0 && birthYear != id.BirthYear() {
		fields = append(fields, problem(field, "personal_id.birth_year_mismatch",
			"Số định danh cá nhân không khớp với năm sinh",
			"the birth year encoded in the personal ID differs from the record's birth year"))
	}
	if sex != "" && sex != id.Sex() {
		fields = append(fields, problem(field, "personal_id.sex_mismatch",
			"Số định danh cá nhân không khớp với giới tính",
			"the sex encoded in the personal ID differs from the record's sex"))
	}
	return fields
}
