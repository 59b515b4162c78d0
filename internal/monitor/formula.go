package monitor

import (
	"math"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/procedure"
)

// The Decision 766 index: every indicator, its points and its formula, and
// the rules that classify each dossier (ended when, on time or late,
// digitised...) and each procedure (complete, payable online), in this one
// file; facts.go only adds the classified dossiers up per month. docs/INDEX766.md documents each with its source; where
// the official text was not at hand the split of a group's points among
// its indicators is the project's, and says so there. To correct a
// formula, change it here and in that document.
//
// An indicator scores Points × min(1, ratio / FullAt), where ratio is
// Numerator / Denominator. An indicator with nothing to measure (a
// denominator of 0) is not applicable and scores its full points: nothing
// was done badly. A scope with no dossier at all in the period has no
// index.

// Indicator describes one indicator of the index.
type Indicator struct {
	Code   string  `json:"code"`
	Group  string  `json:"group"`
	Name   string  `json:"name"`    // Vietnamese
	NameEn string  `json:"name_en"` // English
	Points float64 `json:"points"`
	// FullAt is the ratio that earns full points (1 for 100%).
	FullAt float64 `json:"full_at"`
	// Measure takes the numerator and the denominator from the measures.
	measure func(m *Measures) (num, den int64)
}

// Group is one of the five groups of the index.
type Group struct {
	Code   string  `json:"code"`
	Name   string  `json:"name"`
	NameEn string  `json:"name_en"`
	Points float64 `json:"points"`
}

// Groups are the index's five groups, 100 points in all (Decision
// 766/QĐ-TTg as issue 8 states them).
var Groups = []Group{
	{"publicity", "Công khai, minh bạch", "Publicity and transparency", 18},
	{"progress", "Tiến độ, kết quả giải quyết", "Progress and results", 20},
	{"online", "Cung cấp dịch vụ trực tuyến", "Online provision", 22},
	{"digitisation", "Số hóa hồ sơ", "Digitisation", 22},
	{"satisfaction", "Mức độ hài lòng", "Satisfaction", 18},
}

// Indicators are the index's indicators, by group; their points add up to
// their group's.
var Indicators = []Indicator{
	// Publicity and transparency, 18.
	{Code: "procedures_published", Group: "publicity", Points: 8, FullAt: 1,
		Name:    "Thủ tục hành chính được công bố, công khai đầy đủ",
		NameEn:  "Procedures published, complete",
		measure: func(m *Measures) (int64, int64) { return m.ProceduresComplete, m.Procedures }},
	{Code: "dossiers_synced", Group: "publicity", Points: 10, FullAt: 1,
		Name:    "Hồ sơ được đồng bộ đầy đủ trạng thái xử lý",
		NameEn:  "Dossiers whose every status change was synchronised",
		measure: func(m *Measures) (int64, int64) { return m.C[cSynced], m.C[cReceived] }},

	// Progress and results, 20.
	{Code: "on_time", Group: "progress", Points: 16, FullAt: 1,
		Name:   "Hồ sơ giải quyết đúng hạn",
		NameEn: "Dossiers handled on time",
		measure: func(m *Measures) (int64, int64) {
			return m.C[cOnTime] + (m.Unfinished - m.UnfinishedLate), m.C[cEnded] + m.Unfinished
		}},
	{Code: "average_time", Group: "progress", Points: 4, FullAt: 1,
		Name:    "Thủ tục có thời gian giải quyết trung bình trong thời hạn",
		NameEn:  "Procedures whose average handling time is within their time limit",
		measure: func(m *Measures) (int64, int64) { return m.ProceduresWithinLimit, m.ProceduresTimed }},

	// Online provision, 22.
	{Code: "procedures_online", Group: "online", Points: 6, FullAt: 0.8,
		Name:    "Thủ tục được cung cấp dịch vụ công trực tuyến",
		NameEn:  "Procedures offered online",
		measure: func(m *Measures) (int64, int64) { return m.ProceduresOnline, m.Procedures }},
	{Code: "dossiers_online", Group: "online", Points: 8, FullAt: 0.5,
		Name:    "Hồ sơ nộp trực tuyến",
		NameEn:  "Dossiers filed online",
		measure: func(m *Measures) (int64, int64) { return m.C[cOnline], m.C[cReceived] }},
	{Code: "payment_procedures", Group: "online", Points: 4, FullAt: 1,
		Name:    "Thủ tục có phí, lệ phí được thanh toán trực tuyến",
		NameEn:  "Fee-charging procedures payable online",
		measure: func(m *Measures) (int64, int64) { return m.ProceduresPayOnline, m.ProceduresWithFee }},
	{Code: "paid_online", Group: "online", Points: 4, FullAt: 1,
		Name:    "Hồ sơ có phí, lệ phí được thanh toán trực tuyến",
		NameEn:  "Fee-charging dossiers paid online",
		measure: func(m *Measures) (int64, int64) { return m.C[cPaidOnline], m.C[cFeeDossiers] }},

	// Digitisation, 22.
	{Code: "e_results", Group: "digitisation", Points: 6, FullAt: 1,
		Name:    "Hồ sơ được cấp kết quả điện tử",
		NameEn:  "Dossiers with an electronic result",
		measure: func(m *Measures) (int64, int64) { return m.C[cEResults], m.C[cWithResult] }},
	{Code: "digitised", Group: "digitisation", Points: 6, FullAt: 0.8,
		Name:    "Hồ sơ được số hóa",
		NameEn:  "Dossiers digitised",
		measure: func(m *Measures) (int64, int64) { return m.C[cDigitised], m.C[cReceived] }},
	{Code: "reuse", Group: "digitisation", Points: 6, FullAt: 0.8,
		Name:    "Giấy tờ được khai thác, tái sử dụng từ dữ liệu đã số hóa",
		NameEn:  "Documents reused from digitised data",
		measure: func(m *Measures) (int64, int64) { return m.C[cDocsReused], m.C[cDocs] }},
	{Code: "population_registry", Group: "digitisation", Points: 4, FullAt: 1,
		Name:    "Hồ sơ sử dụng dữ liệu từ cơ sở dữ liệu quốc gia",
		NameEn:  "Dossiers using data from a national database",
		measure: func(m *Measures) (int64, int64) { return m.C[cRegistryUsed], m.C[cReceived] }},

	// Satisfaction, 18.
	{Code: "satisfied", Group: "satisfaction", Points: 18, FullAt: 0.9,
		Name:    "Hồ sơ giải quyết không bị phản ánh, đánh giá không hài lòng",
		NameEn:  "Dossiers handled without a “not satisfied” rating",
		measure: func(m *Measures) (int64, int64) { return m.C[cEnded] - m.C[cNotSatisfied], m.C[cEnded] }},
}

// ---- The rules for one dossier ----

// endAt returns when the dossier ended, by the index's priority: processed,
// else result returned, else stopped or refused (0 while open).
func (r *record) endAt() int64 {
	switch {
	case r.FinishedAt != 0:
		return r.FinishedAt
	case r.ReturnedAt != 0:
		return r.ReturnedAt
	}
	return r.ClosedAt
}

// measured reports whether the dossier counts in the progress and
// satisfaction groups once ended: a withdrawn dossier, or one the desk did
// not receive (status 3), does not.
func (r *record) measured() bool {
	return r.Status != statusWithdrawn && r.Status != statusRejected
}

// lateAt reports whether an unfinished dossier is late at instant at
// (micros): more than one supplement request, or past its appointment;
// while the applicant has the turn the clock stands still, so it is late
// only if it already was when the turn passed to the applicant.
func (r *record) lateAt(at int64) bool {
	if r.Supplements > 1 {
		return true
	}
	if applicantsTurn(r.Status) && r.PausedAt != 0 {
		return r.PausedAt > r.DueAt
	}
	return at > r.DueAt
}

// onTime reports whether an ended dossier ended by its appointment (which
// the supplement pauses already moved) with at most one supplement request.
func (r *record) onTime() bool {
	return r.Supplements <= 1 && r.endAt() <= r.DueAt
}

// synced reports whether every change of the dossier reached the
// monitoring system, in order: the stand-in for "synchronised to the
// national portal" (docs/INDEX766.md).
func (r *record) synced() bool { return r.Seen == r.Version }

// hasFee reports whether the dossier owes a fee or charge.
func (r *record) hasFee() bool { return r.Fees.Amount > 0 }

// digitised reports whether every document of the dossier has an
// electronic copy (a dossier without documents has nothing on paper).
func (r *record) digitised() bool { return r.Docs.Digitised >= r.Docs.Total }

// reusedDocs counts the documents reused from the wallet or taken from a
// national database instead of being handed in again.
func (r *record) reusedDocs() int {
	return min(max(r.Docs.Reused+r.Docs.FromRegistry, 0), max(r.Docs.Total, 0))
}

// usesRegistry reports whether the dossier took data from a national
// database (the population registry, for the demo's procedures).
func (r *record) usesRegistry() bool { return r.Docs.FromRegistry > 0 }

// withResult reports whether the dossier ended with a result (processed).
func (r *record) withResult() bool { return r.Status == statusProcessed || r.Status == statusReturned }

// notSatisfied reports whether the applicant rated the handling "not
// satisfied" (the only complaint the platform records so far).
func (r *record) notSatisfied() bool { return r.Rating == ratingNotSatisfied }

// procDays is the working days the agency spent on an ended dossier: from
// receipt to its end, less the days the applicant had the turn.
func (f folder) procDays(r *record) int {
	d := f.cal.WorkingDaysBetween(time.UnixMicro(r.ReceivedAt), time.UnixMicro(r.endAt())) - r.PausedDays
	return max(d, 0)
}

// ---- The rules for procedures ----

// complete reports whether a published procedure shows the public every
// part Decree 63/2010 (as amended) asks to be published: name, sector,
// legal basis, who may apply, time limit, documents, result, the e-form
// and the steps.
func complete(p procedure.Procedure) bool {
	return p.PublishedAt != nil && p.Name != "" && p.Sector != "" && len(p.LegalBasis) > 0 && strings.TrimSpace(p.WhoCanApply) != "" &&
		p.TimeLimit > 0 && len(p.Documents) > 0 && p.Result != "" && len(p.Form) > 2 && len(p.Workflow.Steps) > 0
}

// payableOnline reports whether a procedure's fees can be paid online: a
// fully online procedure (toàn trình, Decree 42/2022) takes its fees
// online; the procedures database records no other payment channel.
func payableOnline(f procFacts) bool { return f.WithFee && f.OnlineLevel == "full" }

// levelsOf maps an agency's kind (the catalog's level of the agency) to
// the levels of procedures (procedure.Procedure.Levels) it carries out.
var levelsOf = map[string][]string{
	"province":          {"province"},
	"department":        {"province"},
	"commune":           {"commune"},
	"ministry":          {"central"},
	"ministry-level":    {"central"},
	"government-office": {"central"},
}

// Score is one indicator's result.
type Score struct {
	Code        string  `json:"code"`
	Name        string  `json:"name"`
	NameEn      string  `json:"name_en"`
	Points      float64 `json:"points"`
	FullAt      float64 `json:"full_at"`
	Numerator   int64   `json:"numerator"`
	Denominator int64   `json:"denominator"`
	Ratio       float64 `json:"ratio"`      // Numerator / Denominator, 0..1; 1 when not applicable
	Score       float64 `json:"score"`      // 0..Points, two decimals
	Applicable  bool    `json:"applicable"` // false: nothing to measure, full points
}

// GroupScore is one group's result.
type GroupScore struct {
	Code       string  `json:"code"`
	Name       string  `json:"name"`
	NameEn     string  `json:"name_en"`
	Points     float64 `json:"points"`
	Score      float64 `json:"score"`
	Indicators []Score `json:"indicators"`
}

// score applies the formula to the measures: the five groups and the
// total, out of 100 (nil when there is nothing to score).
func score(m *Measures) ([]GroupScore, *float64) {
	groups := make([]GroupScore, 0, len(Groups))
	var total float64
	for _, g := range Groups {
		gs := GroupScore{Code: g.Code, Name: g.Name, NameEn: g.NameEn, Points: g.Points, Indicators: []Score{}}
		var sum float64
		for _, in := range Indicators {
			if in.Group != g.Code {
				continue
			}
			num, den := in.measure(m)
			s := Score{Code: in.Code, Name: in.Name, NameEn: in.NameEn, Points: in.Points, FullAt: in.FullAt, Numerator: num, Denominator: den, Ratio: 1}
			pts := in.Points
			if den > 0 {
				s.Applicable = true
				s.Ratio = float64(num) / float64(den)
				pts = in.Points * math.Min(1, s.Ratio/in.FullAt)
			}
			s.Ratio = round(s.Ratio, 4)
			s.Score = round(pts, 2)
			sum += pts
			gs.Indicators = append(gs.Indicators, s)
		}
		gs.Score = round(sum, 2)
		total += sum
		groups = append(groups, gs)
	}
	if !m.HasData() {
		return groups, nil
	}
	t := round(total, 2)
	return groups, &t
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// Band is the colour band of a score, for maps and tiles: "a" (90 and
// above), "b" (80), "c" (70), "d" (50), "e" (below 50), "none" without
// data.
func Band(total *float64) string {
	switch {
	case total == nil:
		return "none"
	case *total >= 90:
		return "a"
	case *total >= 80:
		return "b"
	case *total >= 70:
		return "c"
	case *total >= 50:
		return "d"
	}
	return "e"
}
