package monitor

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
)

// Measures are the figures an index is computed from, for one scope and
// period.
type Measures struct {
	// C sums the month counters over the period: dossiers received in it and
	// dossiers ended in it.
	C counters
	// Unfinished dossiers at the measuring instant (the period's end, or
	// now while it runs), and those of them late by then.
	Unfinished, UnfinishedLate int64

	// The procedures the scope provides (see procedures.go).
	Procedures, ProceduresComplete         int64
	ProceduresOnline                       int64 // full or partial
	ProceduresFull, ProceduresPartial      int64
	ProceduresWithFee, ProceduresPayOnline int64
	ProceduresTimed, ProceduresWithinLimit int64 // with ended dossiers; of them, average within the time limit
	byProcedure                            map[string]*procStat
	agencies                               map[string]bool // agencies with dossiers in the period
}

// procStat is what a period's ended dossiers of one procedure add up to.
type procStat struct {
	Ended, Days int64
}

// HasData reports whether any dossier was received, ended or open in the
// scope and period.
func (m *Measures) HasData() bool {
	return m.C[cReceived] > 0 || m.C[cEnded] > 0 || m.Unfinished > 0
}

func newMeasures() *Measures {
	return &Measures{byProcedure: map[string]*procStat{}, agencies: map[string]bool{}}
}

// groupBy names how measure splits its results: one figure for the whole
// scope, or one per agency, or per province or ministry (level-1 part).
type groupBy string

const (
	byNone   groupBy = ""
	byAgency groupBy = "agency"
	byL1     groupBy = "l1"
)

func (g groupBy) column() string {
	if g == byNone {
		return "''"
	}
	return string(g)
}

// groupPrefix is what GROUP BY starts with: PostgreSQL refuses a constant.
func (g groupBy) groupPrefix() string {
	if g == byNone {
		return ""
	}
	return string(g) + ", "
}

// measure reads the dossier measures of a period for the agencies in
// scope, split by g. The unfinished dossiers are counted at the period's
// end, or at now while it runs.
func measure(ctx context.Context, db store.Querier, p Period, sc Scope, g groupBy, now time.Time) (map[string]*Measures, error) {
	out := map[string]*Measures{}
	get := func(k string) *Measures {
		m := out[k]
		if m == nil {
			m = newMeasures()
			out[k] = m
		}
		return m
	}
	cond, cargs := sc.where("agency")
	sums := make([]string, nCounters)
	for i, c := range counterColumns {
		sums[i] = "SUM(" + c + ")"
	}
	args := append([]any{monthOf(p.From), monthOf(p.To)}, cargs...)
	rows, err := db.Query(ctx, "SELECT "+g.column()+", agency, procedure_code, "+strings.Join(sums, ", ")+" FROM mon_month WHERE month >= ? AND month < ? AND "+cond+
		" GROUP BY "+g.groupPrefix()+"agency, procedure_code", args...)
	if err != nil {
		return nil, fmt.Errorf("monitor: measure: %w", err)
	}
	for rows.Next() {
		var k, agency, proc string
		var c counters
		dest := []any{&k, &agency, &proc}
		for i := range c {
			dest = append(dest, &c[i])
		}
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, fmt.Errorf("monitor: measure: %w", err)
		}
		m := get(k)
		m.C.add(&c, 1)
		m.agencies[agency] = true
		if c[cEnded] > 0 {
			ps := m.byProcedure[proc]
			if ps == nil {
				ps = &procStat{}
				m.byProcedure[proc] = ps
			}
			ps.Ended += c[cEnded]
			ps.Days += c[cProcDays]
		}
		if c[cReceived] > 0 && m.byProcedure[proc] == nil {
			m.byProcedure[proc] = &procStat{}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("monitor: measure: %w", err)
	}

	at := p.measuredAt(now)
	if !at.Before(p.To) {
		// Ended: the dossiers whose next change came after the period's end
		// were counted then.
		args := append([]any{monthOf(p.To.Add(-time.Microsecond))}, cargs...)
		rows, err := db.Query(ctx, "SELECT "+g.column()+", agency, SUM(open_count), SUM(late_count) FROM mon_open WHERE month = ? AND "+cond+
			" GROUP BY "+g.groupPrefix()+"agency", args...)
		if err != nil {
			return nil, fmt.Errorf("monitor: measure: %w", err)
		}
		for rows.Next() {
			var k, agency string
			var n, late int64
			if err := rows.Scan(&k, &agency, &n, &late); err != nil {
				rows.Close()
				return nil, fmt.Errorf("monitor: measure: %w", err)
			}
			m := get(k)
			m.Unfinished += n
			m.UnfinishedLate += late
			m.agencies[agency] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("monitor: measure: %w", err)
		}
	}
	// The dossiers open now whose last change came before the instant are
	// as they were then. The lateness test is record.lateAt's.
	atMicros := at.UnixMicro()
	args = append([]any{atMicros, atMicros}, cargs...)
	rows, err = db.Query(ctx, "SELECT "+g.column()+", agency, COUNT(*), SUM(CASE WHEN supplements > 1 OR (paused_at > 0 AND paused_at > due_at) OR (paused_at = 0 AND due_at < ?) THEN 1 ELSE 0 END) "+
		"FROM mon_dossier WHERE is_open = 1 AND last_at < ? AND "+cond+" GROUP BY "+g.groupPrefix()+"agency", args...)
	if err != nil {
		return nil, fmt.Errorf("monitor: measure: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, agency string
		var n, late int64
		if err := rows.Scan(&k, &agency, &n, &late); err != nil {
			return nil, fmt.Errorf("monitor: measure: %w", err)
		}
		m := get(k)
		m.Unfinished += n
		m.UnfinishedLate += late
		m.agencies[agency] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("monitor: measure: %w", err)
	}
	return out, nil
}
