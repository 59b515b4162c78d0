package vnid

import (
	"fmt"
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// taxWeights are the weights of digits 1 to 9 in the tax-code check digit.
var taxWeights = [9]int{31, 29, 23, 19, 17, 13, 7, 5, 3}

// TaxCode is a mã số thuế, also the mã số doanh nghiệp of an enterprise: ten
// digits, and three more for a dependent unit, as the package documentation
// describes. The zero value holds no code.
type TaxCode struct {
	base   string // ten digits
	branch string // "" or three digits 001-999
}

// TaxCheckDigit returns the check digit, 10 - (weighted sum mod 11), of the
// first nine digits of a tax code. It returns an error when that value is
// 10, which fits in no digit: no tax code starts with those nine digits.
func TaxCheckDigit(first9 string) (int, error) {
	if len(first9) != 9 || !isDigits(first9) {
		return 0, invalid([]fault.FieldError{problem("tax_code", "tax_code.first9",
			"Phần đầu của mã số thuế phải gồm 9 chữ số",
			fmt.Sprintf("the check digit is computed over exactly 9 digits, got %q", first9))}, "tax code")
	}
	sum := 0
	for i, w := range taxWeights {
		sum += w * int(first9[i]-'0')
	}
	check := 10 - sum%11
	if check == 10 {
		return 0, invalid([]fault.FieldError{problem("tax_code", "tax_code.no_check_digit",
			"Không có mã số thuế nào được cấp với 9 chữ số đầu này",
			"10 - (weighted sum mod 11) is 10, which fits in no digit: no tax code has these first nine digits")}, "tax code")
	}
	return check, nil
}

// NewTaxCode builds a tax code for tests and synthetic data from its first
// nine digits and a branch, 0 for the enterprise itself or 1 to 999 for a
// dependent unit. About one choice of first9 in eleven has no check digit.
func NewTaxCode(first9 string, branch int) (TaxCode, error) {
	check, err := TaxCheckDigit(first9)
	if err != nil {
		return TaxCode{}, err
	}
	t := TaxCode{base: fmt.Sprintf("%s%d", first9, check)}
	switch {
	case branch == 0:
	case branch >= 1 && branch <= 999:
		t.branch = fmt.Sprintf("%03d", branch)
	default:
		return TaxCode{}, invalid([]fault.FieldError{problem("branch", "tax_code.branch",
			"Mã đơn vị phụ thuộc phải từ 001 đến 999",
			fmt.Sprintf("branch must be from 0 (none) to 999, got %d", branch))}, "tax code")
	}
	return t, nil
}

// ParseTaxCode parses a tax code such as "0100109106", "0100109106-001" or
// "0100109106001", or returns a fault.Invalid error with one field error,
// named field, per problem.
func ParseTaxCode(field, s string) (TaxCode, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return TaxCode{}, invalid([]fault.FieldError{problem(field, "tax_code.required",
			"Vui lòng nhập mã số thuế",
			"tax code is required")}, "tax code")
	}
	var fields []fault.FieldError
	digitsOnly := strings.ReplaceAll(s, "-", "")
	if !isDigits(digitsOnly) {
		fields = append(fields, problem(field, "tax_code.digits",
			"Mã số thuế chỉ được gồm các chữ số",
			"tax code must contain only the digits 0-9, with an optional hyphen before the 3-digit branch number"))
	}
	var base, branch string
	if n := strings.Count(s, "-"); n > 0 {
		if i := strings.IndexByte(s, '-'); n > 1 || i != 10 {
			fields = append(fields, problem(field, "tax_code.format",
				"Mã số thuế của đơn vị phụ thuộc phải có dạng 10 chữ số, dấu gạch ngang và 3 chữ số",
				"a hyphen may only separate the 10-digit code from the 3-digit branch number"))
			return TaxCode{}, invalid(fields, "tax code")
		}
		base, branch = s[:10], s[11:]
		if len([]rune(branch)) != 3 {
			fields = append(fields, problem(field, "tax_code.length",
				"Mã đơn vị phụ thuộc sau dấu gạch ngang phải gồm 3 chữ số",
				fmt.Sprintf("the branch number after the hyphen must be 3 digits long, got %d characters", len([]rune(branch)))))
		}
	} else {
		switch n := len([]rune(s)); n {
		case 10:
			base = s
		case 13:
			base, branch = s[:10], s[10:]
		default:
			fields = append(fields, problem(field, "tax_code.length",
				"Mã số thuế phải gồm 10 chữ số, hoặc 13 chữ số đối với đơn vị phụ thuộc",
				fmt.Sprintf("tax code must be 10 digits long, or 13 for a dependent unit, got %d characters", n)))
		}
	}
	if fields != nil {
		return TaxCode{}, invalid(fields, "tax code")
	}
	if check, err := TaxCheckDigit(base[:9]); err != nil || int(base[9]-'0') != check {
		fields = append(fields, problem(field, "tax_code.check_digit",
			"Mã số thuế sai chữ số kiểm tra",
			"the tenth digit does not match the check digit of the first nine"))
	}
	if branch == "000" {
		fields = append(fields, problem(field, "tax_code.branch",
			"Mã đơn vị phụ thuộc phải từ 001 đến 999",
			"the branch number must be from 001 to 999, got 000"))
	}
	if fields != nil {
		return TaxCode{}, invalid(fields, "tax code")
	}
	return TaxCode{base: base, branch: branch}, nil
}

// String returns the canonical text, e.g. "0100109106" or "0100109106-001".
func (t TaxCode) String() string {
	if t.branch == "" {
		return t.base
	}
	return t.base + "-" + t.branch
}

// IsZero reports whether t is the zero value, which holds no code.
func (t TaxCode) IsZero() bool { return t.base == "" }

// Base returns the ten-digit code of the enterprise; for a dependent unit,
// that of the enterprise it belongs to.
func (t TaxCode) Base() string { return t.base }

// Branch returns the three-digit number of a dependent unit, or "" for the
// enterprise itself.
func (t TaxCode) Branch() string { return t.branch }

// IsBranch reports whether t is the code of a dependent unit.
func (t TaxCode) IsBranch() bool { return t.branch != "" }
