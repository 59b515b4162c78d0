// Package vnid parses and validates Vietnamese identifiers. Every parser
// takes the name of the input field and the text, and returns either a typed
// value or a *fault.Error of kind fault.Invalid whose Fields hold one entry
// per problem, each with a stable code, a Vietnamese message and an English
// detail. Surrounding white space is ignored.
//
// # Personal identification number
//
// A PersonalID has 12 digits (Decree 137/2015/NĐ-CP, with the codes of
// Circular 07/2016/TT-BCA):
//
//   - 1-3: the province where the birth was registered, "0" followed by the
//     two-digit statistical code of one of the 63 provinces in force before
//     the 2025 merger (see Provinces);
//   - 4: century and sex, the even digit for a man and the odd digit for a
//     woman: 0/1 for 1900-1999, 2/3 for 2000-2099, 4/5 for 2100-2199, 6/7
//     for 2200-2299, 8/9 for 2300-2399;
//   - 5-6: the last two digits of the year of birth;
//   - 7-12: a random number.
//
// Numbers of people whose birth was registered abroad carry a code from a
// different table in digits 1-3, which this package does not hold, and are
// rejected.
//
// # Tax code
//
// A TaxCode has 10 digits, the tenth a check digit over the first nine: with
// the weights 31, 29, 23, 19, 17, 13, 7, 5, 3, check = 10 - (sum mod 11).
// The remainder lies in 0..10, so check lies in 0..10; check = 10 (remainder
// 0) fits in no digit, and no tax code is issued with such first nine
// digits. A dependent unit (đơn vị phụ thuộc, e.g. a branch) adds three
// digits 001-999, written "0100109106-001" or "0100109106001"; the canonical
// form has the hyphen.
//
// # Agency electronic identifier
//
// An AgencyCode (Decision 20/2020/QĐ-TTg) is V1V2V3.Z1Z2.Y1Y2.MX1X2. MX1X2 is
// the level-1 part, a letter and two digits, e.g. G22 or H41; Y1Y2 is the
// level-2 part, Z1Z2 the level-3 part and V1V2V3 the level-4 part, digits
// left all zeros when the level is not used. A level may be filled only
// when the level above it is; the agency's level is the lowest one filled.
//
// # Dossier code
//
// A DossierCode (Circular 01/2018/TT-VPCP) is the agency code of the
// receiving agency, the receipt date as YYMMDD (read as 20YY) and the
// number of the dossier among those received that day, from 0001: four
// digits zero-padded, or five or six digits from 10000 to 999999. A longer
// number with a leading zero is rejected, so that each dossier has a single
// text: "000.00.00.G22-250115-0001".
package vnid

import (
	"strings"

	"github.com/vngov/vngov/internal/platform/fault"
)

// problem builds one field error.
func problem(field, code, message, detail string) fault.FieldError {
	return fault.FieldError{Field: field, Code: code, Message: message, Detail: detail}
}

// invalid wraps field errors into an Invalid fault; what names the identifier
// in the English detail.
func invalid(fields []fault.FieldError, what string) error {
	return fault.Invalidf(fields, "invalid %s", what)
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

// onlyZeros reports whether s is non-empty and made of '0' only.
func onlyZeros(s string) bool {
	return s != "" && strings.Trim(s, "0") == ""
}

// atoi converts a string of ASCII digits to an int; the caller checks digits.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
