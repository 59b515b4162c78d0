package monitor

import (
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/workdays"
)

// EventPrefix starts the type of the dossier engine's events.
const EventPrefix = "dossier."

// The national status codes of a dossier (TrangThaiHoSo) the monitor tells
// apart.
const (
	statusNew        = 1
	statusRejected   = 3 // không được tiếp nhận
	statusSupplement = 5 // the applicant's turn: supplements
	statusPayment    = 6 // the applicant's turn: the fee
	statusWithdrawn  = 7
	statusStopped    = 8
	statusProcessed  = 9
	statusReturned   = 10
)

// Channels (KenhThucHien).
const channelOnline = 2

// Ratings.
const ratingNotSatisfied = 3

// Snapshot is the data of a dossier.<action> event: the dossier's facts
// after the change, as the dossier engine writes them.
type Snapshot struct {
	Code             string     `json:"code"`
	Agency           string     `json:"agency"`
	Procedure        string     `json:"procedure"`
	ProcedureVersion int        `json:"procedure_version"`
	Channel          int        `json:"channel"`
	Action           string     `json:"action"`
	Actor            string     `json:"actor"`
	FromStatus       int        `json:"from_status"`
	ToStatus         int        `json:"to_status"`
	FromStep         string     `json:"from_step"`
	ToStep           string     `json:"to_step"`
	DueAt            time.Time  `json:"due_at"`
	At               time.Time  `json:"at"`
	Version          int        `json:"version"`
	ReceivedAt       time.Time  `json:"received_at"`
	FinishedAt       *time.Time `json:"finished_at"`
	ReturnedAt       *time.Time `json:"returned_at"`
	Supplements      int        `json:"supplements"`
	PausedDays       int        `json:"paused_days"`
	Documents        Documents  `json:"documents"`
	Fees             Fees       `json:"fees"`
	EResults         int        `json:"e_results"`
	Rating           int        `json:"rating"`
	RatingReason     string     `json:"rating_reason"`
}

// Documents counts a dossier's documents.
type Documents struct {
	Total        int `json:"total"`
	Digitised    int `json:"digitised"`     // an electronic copy exists
	Reused       int `json:"reused"`        // reused from the citizen's wallet
	FromRegistry int `json:"from_registry"` // taken from a national database
}

// Fees sums a dossier's charges.
type Fees struct {
	Amount     int64 `json:"amount"` // VND
	Paid       bool  `json:"paid"`
	PaidOnline bool  `json:"paid_online"`
}

// decode reads an event's data, checking what the monitor relies on.
func decode(data []byte) (Snapshot, error) { return decodeWith(data, nil) }

// decodeWith is decode sharing decoded strings through intern.
func decodeWith(data []byte, intern map[string]string) (Snapshot, error) {
	var s Snapshot
	if err := unmarshalSnapshotWith(data, &s, intern); err != nil {
		return s, fmt.Errorf("monitor: decode dossier event: %w", err)
	}
	switch {
	case s.Code == "" || s.Agency == "" || s.Procedure == "":
		return s, fmt.Errorf("monitor: dossier event without code, agency or procedure")
	case s.Version <= 0:
		return s, fmt.Errorf("monitor: dossier event %s without version", s.Code)
	case s.At.IsZero() || s.ReceivedAt.IsZero():
		return s, fmt.Errorf("monitor: dossier event %s v%d without times", s.Code, s.Version)
	}
	s.Agency = strings.ToUpper(s.Agency)
	return s, nil
}

// record is what the monitor keeps of one dossier: its latest snapshot,
// with times as Unix microseconds (0: none), and what it derived from the
// snapshots before it.
type record struct {
	Code, Agency, Procedure string
	Channel, Status         int
	Version                 int
	Seen                    int // snapshots received in order; Seen == Version when none is missing
	ReceivedAt, DueAt       int64
	LastAt                  int64 // the time of the latest change
	PausedAt                int64 // since when the applicant has had the turn (statuses 5 and 6)
	FinishedAt, ReturnedAt  int64
	ClosedAt                int64 // when it entered status 3, 7 or 8
	Supplements, PausedDays int
	Docs                    Documents
	Fees                    Fees
	EResults, Rating        int
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func microsPtr(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return micros(*t)
}

func applicantsTurn(status int) bool { return status == statusSupplement || status == statusPayment }

func final(status int) bool {
	return status == statusRejected || status == statusWithdrawn || status == statusStopped
}

// next returns the record after snapshot s, and false when s is not newer
// than prev (a repeat, or a stale snapshot delivered late), which is then
// ignored: this is what makes the consumers idempotent.
func next(prev *record, s Snapshot) (record, bool) {
	if prev != nil && s.Version <= prev.Version {
		return record{}, false
	}
	r := record{Code: s.Code, Agency: s.Agency, Procedure: s.Procedure, Channel: s.Channel, Status: s.ToStatus, Version: s.Version, Seen: 1,
		ReceivedAt: micros(s.ReceivedAt), DueAt: micros(s.DueAt), LastAt: micros(s.At),
		FinishedAt: microsPtr(s.FinishedAt), ReturnedAt: microsPtr(s.ReturnedAt),
		Supplements: s.Supplements, PausedDays: s.PausedDays, Docs: s.Documents, Fees: s.Fees, EResults: s.EResults, Rating: s.Rating}
	if prev != nil {
		r.Seen = prev.Seen + 1
		r.ClosedAt = prev.ClosedAt
	}
	if applicantsTurn(r.Status) {
		r.PausedAt = r.LastAt
		if prev != nil && applicantsTurn(prev.Status) && prev.PausedAt != 0 {
			r.PausedAt = prev.PausedAt
		}
	}
	if r.ClosedAt == 0 && final(r.Status) {
		r.ClosedAt = r.LastAt
	}
	return r, true
}

// open reports whether the dossier is still being handled.
func (r *record) open() bool {
	return r.FinishedAt == 0 && r.ReturnedAt == 0 && r.ClosedAt == 0 && !final(r.Status) &&
		r.Status != statusProcessed && r.Status != statusReturned
}

// The per-month counters, in the order of counterColumns: the first group
// is counted in the month a dossier was received, the second in the month
// it ended.
const (
	cReceived     = iota // dossiers received
	cOnline              // of them, filed online
	cFeeDossiers         // with a fee to pay
	cPaidOnline          // with the fee paid online
	cDigitised           // with every document digitised
	cDocs                // documents
	cDocsReused          // documents reused from the wallet or a national database
	cRegistryUsed        // dossiers with data from a national database
	cSynced              // dossiers whose every change reached the monitor
	cEnded               // dossiers ended (processed, returned, stopped or refused after receipt)
	cOnTime              // of them, on time
	cProcDays            // working days spent by the agency on them
	cWithResult          // of them, processed with a result
	cEResults            // of those, with an electronic result
	cNotSatisfied        // rated "not satisfied"
	cRated               // rated at all
	nCounters
)

// counterColumns are the counters' columns in mon_month.
var counterColumns = [nCounters]string{"received", "online", "fee_dossiers", "paid_online", "digitised", "docs", "docs_reused", "registry_used", "synced",
	"ended", "on_time", "proc_days", "with_result", "e_results", "not_satisfied", "rated"}

type counters [nCounters]int64

func (c *counters) add(o *counters, sign int64) {
	for i := range c {
		c[i] += sign * o[i]
	}
}

func (c *counters) zero() bool { return *c == counters{} }

// bucketKey is one row of mon_month.
type bucketKey struct {
	Agency, Procedure string
	Month             int
}

// openKey is one row of mon_open: the dossiers of an agency still open at
// the end of a month, counted when their next change came after it.
type openKey struct {
	Agency string
	Month  int
}

// openCount is the value of an openKey.
type openCount struct{ Open, Late int64 }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// part is one record's contribution to one mon_month row.
type part struct {
	key bucketKey
	c   counters
}

// folder turns records into counters; it holds the working-day calendar
// that processing times are counted with.
type folder struct{ cal *workdays.Calendar }

// contributions returns what record r adds to the counters: in the month
// it was received and in the month it ended. Counters are sums of these over
// every dossier's latest record, whatever the order the records came in.
func (f folder) contributions(r *record) []part {
	recv := part{key: bucketKey{r.Agency, r.Procedure, monthOf(time.UnixMicro(r.ReceivedAt))}}
	c := &recv.c
	c[cReceived] = 1
	c[cOnline] = b2i(r.Channel == channelOnline)
	c[cFeeDossiers] = b2i(r.hasFee())
	c[cPaidOnline] = b2i(r.hasFee() && r.Fees.PaidOnline)
	c[cDigitised] = b2i(r.digitised())
	c[cDocs] = int64(max(r.Docs.Total, 0))
	c[cDocsReused] = int64(r.reusedDocs())
	c[cRegistryUsed] = b2i(r.usesRegistry())
	c[cSynced] = b2i(r.synced())
	end := r.endAt()
	if end == 0 || !r.measured() {
		return []part{recv}
	}
	ended := part{key: bucketKey{r.Agency, r.Procedure, monthOf(time.UnixMicro(end))}}
	e := &ended.c
	e[cEnded] = 1
	e[cOnTime] = b2i(r.onTime())
	e[cProcDays] = int64(f.procDays(r))
	e[cWithResult] = b2i(r.withResult())
	e[cEResults] = b2i(r.withResult() && r.EResults > 0)
	e[cNotSatisfied] = b2i(r.notSatisfied())
	e[cRated] = b2i(r.Rating > 0)
	if ended.key == recv.key {
		recv.c.add(&ended.c, 1)
		return []part{recv}
	}
	return []part{recv, ended}
}

// crossings returns the month ends between prev's change and the next one
// (at, micros) at which prev's dossier was still open: at each, the
// dossier counts as unfinished, late or not as prev says.
func crossings(prev *record, at int64) []struct {
	key  openKey
	late bool
} {
	if prev == nil || !prev.open() {
		return nil
	}
	var out []struct {
		key  openKey
		late bool
	}
	for m := monthOf(time.UnixMicro(prev.LastAt)); ; m = nextMonth(m) {
		end := monthEnd(m).UnixMicro()
		if end > at {
			break
		}
		out = append(out, struct {
			key  openKey
			late bool
		}{openKey{prev.Agency, m}, prev.lateAt(end)})
	}
	return out
}

func nextMonth(m int) int {
	if m%100 == 12 {
		return (m/100+1)*100 + 1
	}
	return m + 1
}
