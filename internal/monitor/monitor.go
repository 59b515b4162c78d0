// Package monitor measures the provision and use of the platform's
// public services (framework component 14, hệ thống giám sát, đo lường
// mức độ cung cấp và sử dụng dịch vụ Chính phủ số, "EMC"), computes the
// Decision 766/QĐ-TTg service index (Bộ chỉ số chỉ đạo, điều hành và đánh
// giá chất lượng phục vụ người dân, doanh nghiệp) per agency, province and
// period, and serves the operations dashboard (trung tâm điều hành, IOC)
// and the public scoreboard.
//
// Everything is computed from the events the platform already emits: every
// dossier.<action> event carries a full snapshot of the dossier's facts, so
// the monitor keeps the latest snapshot of each dossier (by version) and
// folds it into counters per agency, procedure and day. The same code
// folds the dossier engine's permanent event log from scratch (Rebuild),
// and gives the same numbers as the live consumer.
//
// The index's formulas are in one place, formula.go, and documented with
// their points and sources in docs/INDEX766.md.
package monitor

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
)

// Zone is Vietnam's time (UTC+7, no daylight saving): days and periods
// begin at midnight there.
var Zone = time.FixedZone("ICT", 7*3600)

// dayOf returns t's day in Vietnam as the number YYYYMMDD.
func dayOf(t time.Time) int {
	y, m, d := t.In(Zone).Date()
	return y*10000 + int(m)*100 + d
}

// monthOf returns t's month in Vietnam as the number YYYYMM.
func monthOf(t time.Time) int {
	y, m, _ := t.In(Zone).Date()
	return y*100 + int(m)
}

// monthEnd returns the first instant after the month numbered YYYYMM.
func monthEnd(month int) time.Time {
	return time.Date(month/100, time.Month(month%100)+1, 1, 0, 0, 0, 0, Zone)
}

// Period is a month, a quarter or a year, in Vietnam's time:
// [From, To).
type Period struct {
	Code string    `json:"code"` // "2026-11", "2026-Q4" or "2026"
	Kind string    `json:"kind"` // "month", "quarter" or "year"
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

var periodRE = regexp.MustCompile(`^(\d{4})(?:-(?:(0[1-9]|1[0-2])|[Qq]([1-4])))?$`)

// ParsePeriod reads a period code: "2026-11" (a month), "2026-Q4" (a
// quarter) or "2026" (a year).
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(s)
	m := periodRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fault.Invalidf([]fault.FieldError{{Field: "period", Code: "period.format",
			Message: fmt.Sprintf("Kỳ %q không hợp lệ: ghi tháng (2026-11), quý (2026-Q4) hoặc năm (2026)", s),
			Detail:  "period must be a month (2026-11), a quarter (2026-Q4) or a year (2026)"}}, "invalid period %q", s)
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 2200 {
		return Period{}, fault.Invalidf([]fault.FieldError{{Field: "period", Code: "period.range",
			Message: "Năm của kỳ phải từ 2000 đến 2200", Detail: "the period's year must be between 2000 and 2200"}}, "period year %d", y)
	}
	switch {
	case m[2] != "":
		mo, _ := strconv.Atoi(m[2])
		from := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, Zone)
		return Period{Code: fmt.Sprintf("%04d-%02d", y, mo), Kind: "month", From: from, To: from.AddDate(0, 1, 0)}, nil
	case m[3] != "":
		q, _ := strconv.Atoi(m[3])
		from := time.Date(y, time.Month(3*q-2), 1, 0, 0, 0, 0, Zone)
		return Period{Code: fmt.Sprintf("%04d-Q%d", y, q), Kind: "quarter", From: from, To: from.AddDate(0, 3, 0)}, nil
	}
	from := time.Date(y, 1, 1, 0, 0, 0, 0, Zone)
	return Period{Code: fmt.Sprintf("%04d", y), Kind: "year", From: from, To: from.AddDate(1, 0, 0)}, nil
}

// MonthPeriod returns the month that holds t.
func MonthPeriod(t time.Time) Period {
	p, _ := ParsePeriod(t.In(Zone).Format("2006-01"))
	return p
}

// Previous returns the period of the same kind just before p.
func (p Period) Previous() Period {
	var q Period
	switch p.Kind {
	case "month":
		q, _ = ParsePeriod(p.From.AddDate(0, -1, 0).Format("2006-01"))
	case "quarter":
		f := p.From.AddDate(0, -3, 0)
		q, _ = ParsePeriod(fmt.Sprintf("%04d-Q%d", f.Year(), (int(f.Month())+2)/3))
	default:
		q, _ = ParsePeriod(strconv.Itoa(p.From.Year() - 1))
	}
	return q
}

// Name is the period in Vietnamese or English words.
func (p Period) Name(lang string) string {
	en := lang == "en"
	switch p.Kind {
	case "month":
		if en {
			return p.From.Format("January 2006")
		}
		return fmt.Sprintf("Tháng %d/%d", int(p.From.Month()), p.From.Year())
	case "quarter":
		q := (int(p.From.Month()) + 2) / 3
		if en {
			return fmt.Sprintf("Q%d %d", q, p.From.Year())
		}
		return fmt.Sprintf("Quý %d/%d", q, p.From.Year())
	}
	if en {
		return strconv.Itoa(p.From.Year())
	}
	return fmt.Sprintf("Năm %d", p.From.Year())
}

// measuredAt is the instant a period's unfinished dossiers are measured
// at: its end, or now while it runs.
func (p Period) measuredAt(now time.Time) time.Time {
	if now.Before(p.To) {
		return now
	}
	return p.To
}

// Scope is what an index or a figure covers: one agency with the agencies
// under it, a whole province or ministry (a level-1 agency code such as
// 000.00.00.H26, Hà Nội), or every agency (Code "").
type Scope struct {
	Code  string // the agency code, "" for every agency
	Level int    // 1 to 4; 0 for every agency
	// suffix is the part of the code an agency in scope ends with, e.g.
	// "92.H26" for 000.00.92.H26 (which covers 000.05.92.H26).
	suffix string
}

var agencyRE = regexp.MustCompile(`^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$`)

// ParseScope reads an agency electronic identifier code; "" is every
// agency.
func ParseScope(code string) (Scope, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if code == "" {
		return Scope{}, nil
	}
	m := agencyRE.FindStringSubmatch(code)
	if m == nil {
		return Scope{}, fault.Invalidf([]fault.FieldError{{Field: "agency", Code: "agency.format",
			Message: fmt.Sprintf("Mã cơ quan %q không hợp lệ: ghi mã định danh điện tử dạng 000.00.00.H26", code),
			Detail:  "agency must be an electronic identifier code such as 000.00.00.H26"}}, "invalid agency %q", code)
	}
	level, suffix := 1, m[4]
	if m[3] != "00" {
		level, suffix = 2, m[3]+"."+suffix
	}
	if m[2] != "00" {
		level, suffix = 3, m[2]+"."+m[3]+"."+m[4]
	}
	if m[1] != "000" {
		level, suffix = 4, code
	}
	return Scope{Code: code, Level: level, suffix: suffix}, nil
}

// Covers reports whether agency is in scope.
func (s Scope) Covers(agency string) bool {
	if s.Code == "" {
		return true
	}
	if s.Level == 4 {
		return agency == s.Code
	}
	return strings.HasSuffix(agency, "."+s.suffix)
}

// where returns a SQL condition on column col selecting the agencies in
// scope, and its arguments.
func (s Scope) where(col string) (string, []any) {
	switch {
	case s.Code == "":
		return "1=1", nil
	case s.Level == 4:
		return col + " = ?", []any{s.Code}
	case s.Level == 1:
		return "l1 = ?", []any{s.suffix}
	}
	return col + " LIKE ?", []any{"%." + s.suffix}
}

// level1 returns the level-1 part of an agency code ("H26" for
// 000.00.92.H26), the province or ministry it belongs to.
func level1(agency string) string {
	if i := strings.LastIndexByte(agency, '.'); i >= 0 {
		return agency[i+1:]
	}
	return agency
}

// Level1Code returns the code of the level-1 agency (province or
// ministry) an agency belongs to: 000.00.00.H26 for 000.00.92.H26.
func Level1Code(agency string) string { return "000.00.00." + level1(agency) }
