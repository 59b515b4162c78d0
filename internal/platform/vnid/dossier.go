package vnid

import (
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// ict is Vietnam's time zone, UTC+7, without a tzdata dependency.
var ict = time.FixedZone("ICT", 7*3600)

// DossierCode is a mã hồ sơ such as "000.00.00.G22-250115-0001": receiving
// agency, receipt date and daily number, as the package documentation
// describes. The zero value holds no code.
type DossierCode struct {
	agency AgencyCode
	date   time.Time // midnight, UTC+7
	seq    int
}

// FormatDossierCode returns the dossier code of an agency code, the receipt
// date as it falls in Vietnam (UTC+7) and a daily number from 1. It does not
// validate its arguments; ParseDossierCode of its result does.
func FormatDossierCode(agency string, date time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%04d", agency, date.In(ict).Format("060102"), seq)
}

// ParseDossierCode parses a dossier code, or returns a fault.Invalid error
// with one field error, named field, per problem, the agency code's among
// them.
func ParseDossierCode(field, s string) (DossierCode, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DossierCode{}, invalid([]fault.FieldError{problem(field, "dossier_code.required",
			"Vui lòng nhập mã hồ sơ",
			"dossier code is required")}, "dossier code")
	}
	raw := strings.Split(s, "-")
	if len(raw) != 3 {
		return DossierCode{}, invalid([]fault.FieldError{problem(field, "dossier_code.format",
			"Mã hồ sơ phải có dạng <mã định danh cơ quan>-YYMMDD-NNNN, ví dụ 000.00.00.G22-250115-0001",
			fmt.Sprintf("dossier code must have 3 hyphen-separated parts agency-YYMMDD-NNNN, got %d", len(raw)))}, "dossier code")
	}
	var d DossierCode
	agency, fields := parseAgencyCode(field, raw[0])
	d.agency = agency

	ds := raw[1]
	date, err := time.ParseInLocation("060102", ds, ict)
	if len(ds) != 6 || !isDigits(ds) || err != nil {
		fields = append(fields, problem(field, "dossier_code.date",
			"Ngày tiếp nhận (YYMMDD) trong mã hồ sơ không phải là ngày hợp lệ",
			fmt.Sprintf("the receipt date must be a real date written YYMMDD, got %q", ds)))
	} else {
		d.date = time.Date(2000+atoi(ds[:2]), date.Month(), date.Day(), 0, 0, 0, 0, ict)
	}

	ns := raw[2]
	switch {
	case len(ns) < 4 || len(ns) > 6 || !isDigits(ns):
		fields = append(fields, problem(field, "dossier_code.sequence",
			"Số thứ tự hồ sơ trong mã hồ sơ phải gồm 4 đến 6 chữ số",
			fmt.Sprintf("the daily sequence must be 4 to 6 digits, got %q", ns)))
	case onlyZeros(ns):
		fields = append(fields, problem(field, "dossier_code.sequence_zero",
			"Số thứ tự hồ sơ trong ngày bắt đầu từ 0001",
			"the daily sequence starts at 0001, got zero"))
	case len(ns) > 4 && ns[0] == '0':
		fields = append(fields, problem(field, "dossier_code.sequence_padding",
			"Số thứ tự hồ sơ dưới 10000 phải viết bằng 4 chữ số",
			fmt.Sprintf("a sequence below 10000 is written with exactly 4 digits, got %q", ns)))
	default:
		d.seq = atoi(ns)
	}
	if fields != nil {
		return DossierCode{}, invalid(fields, "dossier code")
	}
	return d, nil
}

// String returns the code, e.g. "000.00.00.G22-250115-0001".
func (d DossierCode) String() string {
	if d.IsZero() {
		return ""
	}
	return FormatDossierCode(d.agency.String(), d.date, d.seq)
}

// IsZero reports whether d is the zero value, which holds no code.
func (d DossierCode) IsZero() bool { return d.seq == 0 }

// Agency returns the code of the agency that received the dossier.
func (d DossierCode) Agency() AgencyCode { return d.agency }

// Date returns the receipt date at midnight in Vietnam's time zone (UTC+7).
func (d DossierCode) Date() time.Time { return d.date }

// Seq returns the number of the dossier among those received that day,
// from 1.
func (d DossierCode) Seq() int { return d.seq }
