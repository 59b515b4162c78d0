package monitor

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/vngov/vngov/internal/platform/store"
)

// ---- dossier records ----

const recordColumns = "code, agency, l1, procedure_code, channel, status, version, seen, received_at, due_at, last_at, paused_at, finished_at, returned_at, closed_at, is_open, " +
	"supplements, paused_days, docs_total, docs_digitised, docs_reused, docs_registry, fee_amount, fee_paid, fee_paid_online, e_results, rating"

const nRecordColumns = 27

func (r *record) values() []any {
	return []any{r.Code, r.Agency, level1(r.Agency), r.Procedure, r.Channel, r.Status, r.Version, r.Seen, r.ReceivedAt, r.DueAt, r.LastAt, r.PausedAt,
		r.FinishedAt, r.ReturnedAt, r.ClosedAt, b2i(r.open()), r.Supplements, r.PausedDays, r.Docs.Total, r.Docs.Digitised, r.Docs.Reused, r.Docs.FromRegistry,
		r.Fees.Amount, b2i(r.Fees.Paid), b2i(r.Fees.PaidOnline), r.EResults, r.Rating}
}

type scanner interface{ Scan(dest ...any) error }

func scanRecord(sc scanner) (*record, error) {
	var r record
	var l1 string
	var isOpen, paid, paidOnline int64
	err := sc.Scan(&r.Code, &r.Agency, &l1, &r.Procedure, &r.Channel, &r.Status, &r.Version, &r.Seen, &r.ReceivedAt, &r.DueAt, &r.LastAt, &r.PausedAt,
		&r.FinishedAt, &r.ReturnedAt, &r.ClosedAt, &isOpen, &r.Supplements, &r.PausedDays, &r.Docs.Total, &r.Docs.Digitised, &r.Docs.Reused, &r.Docs.FromRegistry,
		&r.Fees.Amount, &paid, &paidOnline, &r.EResults, &r.Rating)
	r.Fees.Paid, r.Fees.PaidOnline = paid == 1, paidOnline == 1
	return &r, err
}

// loadRecord returns the record of a dossier, nil when there is none.
func loadRecord(ctx context.Context, q store.Querier, code string) (*record, error) {
	r, err := scanRecord(q.QueryRow(ctx, "SELECT "+recordColumns+" FROM mon_dossier WHERE code = ?", code))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("monitor: load %s: %w", code, err)
	}
	return r, nil
}

func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

var (
	insertRecordSQL = "INSERT INTO mon_dossier (" + recordColumns + ") VALUES " + placeholders(nRecordColumns) + " ON CONFLICT (code) DO NOTHING"
	updateRecordSQL = func() string {
		var set []string
		for _, c := range strings.Split(recordColumns, ", ")[1:] {
			set = append(set, c+" = ?")
		}
		return "UPDATE mon_dossier SET " + strings.Join(set, ", ") + " WHERE code = ? AND version = ?"
	}()
)

// errRaced says that another transaction changed a dossier's record
// between reading and writing it; the change is tried again.
var errRaced = errors.New("monitor: the dossier's record changed meanwhile")

// saveRecord writes r in place of prev (nil: no record yet), only if prev
// is still what is stored: two writers folding events of one dossier at
// once (the live consumer and a rebuild's catch-up, on PostgreSQL) would
// otherwise both add their difference to the counters.
func saveRecord(ctx context.Context, q store.Querier, prev, r *record) error {
	var res sql.Result
	var err error
	if prev == nil {
		res, err = q.Exec(ctx, insertRecordSQL, r.values()...)
	} else {
		args := append(r.values()[1:], r.Code, prev.Version)
		res, err = q.Exec(ctx, updateRecordSQL, args...)
	}
	if err != nil {
		return fmt.Errorf("monitor: save %s: %w", r.Code, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("monitor: save %s: %w", r.Code, err)
	} else if n != 1 {
		return errRaced
	}
	return nil
}

// ---- counters ----

var bucketColumns = "agency, l1, procedure_code, month, " + strings.Join(counterColumns[:], ", ")

var addBucketSQL = func() string {
	var set []string
	for _, c := range counterColumns {
		set = append(set, c+" = mon_month."+c+" + excluded."+c)
	}
	return "INSERT INTO mon_month (" + bucketColumns + ") VALUES " + placeholders(4+nCounters) + " ON CONFLICT (agency, procedure_code, month) DO UPDATE SET " + strings.Join(set, ", ")
}()

func bucketValues(k bucketKey, c *counters) []any {
	args := make([]any, 0, 4+nCounters)
	args = append(args, k.Agency, level1(k.Agency), k.Procedure, k.Month)
	for _, v := range c {
		args = append(args, v)
	}
	return args
}

// addBuckets adds deltas to the month counters.
func addBuckets(ctx context.Context, q store.Querier, deltas map[bucketKey]*counters) error {
	for _, k := range sortedBucketKeys(deltas) {
		if c := deltas[k]; !c.zero() {
			if _, err := q.Exec(ctx, addBucketSQL, bucketValues(k, c)...); err != nil {
				return fmt.Errorf("monitor: add counters: %w", err)
			}
		}
	}
	return nil
}

// sortedBucketKeys orders keys, so that concurrent writers on PostgreSQL
// take row locks in the same order.
func sortedBucketKeys(m map[bucketKey]*counters) []bucketKey {
	keys := make([]bucketKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Agency != b.Agency {
			return a.Agency < b.Agency
		}
		if a.Procedure != b.Procedure {
			return a.Procedure < b.Procedure
		}
		return a.Month < b.Month
	})
	return keys
}

const addOpenSQL = "INSERT INTO mon_open (agency, l1, month, open_count, late_count) VALUES (?, ?, ?, ?, ?) " +
	"ON CONFLICT (agency, month) DO UPDATE SET open_count = mon_open.open_count + excluded.open_count, late_count = mon_open.late_count + excluded.late_count"

func addOpen(ctx context.Context, q store.Querier, k openKey, c openCount) error {
	if _, err := q.Exec(ctx, addOpenSQL, k.Agency, level1(k.Agency), k.Month, c.Open, c.Late); err != nil {
		return fmt.Errorf("monitor: add month-end counts: %w", err)
	}
	return nil
}

// ---- bulk writes (rebuild) ----

// bulkInsert inserts rows of n columns each, many per statement (under
// SQLite's 32,766 and PostgreSQL's 65,535 parameters).
func bulkInsert(ctx context.Context, q store.Querier, head string, n int, rows [][]any) error {
	per := max(1, 30000/n)
	for i := 0; i < len(rows); i += per {
		chunk := rows[i:min(len(rows), i+per)]
		var sb strings.Builder
		sb.WriteString(head)
		sb.WriteString(" VALUES ")
		args := make([]any, 0, len(chunk)*n)
		ph := placeholders(n)
		for j, r := range chunk {
			if j > 0 {
				sb.WriteString(", ")
			}
			sb.WriteString(ph)
			args = append(args, r...)
		}
		if _, err := q.Exec(ctx, sb.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// replaceAll replaces the monitor's dossier tables with t's content.
func replaceAll(ctx context.Context, q store.Querier, t *tally) error {
	for _, table := range []string{"mon_dossier", "mon_month", "mon_open"} {
		if _, err := q.Exec(ctx, "DELETE FROM "+table); err != nil {
			return fmt.Errorf("monitor: clear %s: %w", table, err)
		}
	}
	codes := make([]string, 0, len(t.recs))
	for c := range t.recs {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	rows := make([][]any, 0, len(codes))
	for _, c := range codes {
		rows = append(rows, t.recs[c].values())
	}
	if err := bulkInsert(ctx, q, "INSERT INTO mon_dossier ("+recordColumns+")", nRecordColumns, rows); err != nil {
		return fmt.Errorf("monitor: write dossiers: %w", err)
	}
	days := t.buckets()
	rows = rows[:0]
	for _, k := range sortedBucketKeys(days) {
		if c := days[k]; !c.zero() {
			rows = append(rows, bucketValues(k, c))
		}
	}
	if err := bulkInsert(ctx, q, "INSERT INTO mon_month ("+bucketColumns+")", 4+nCounters, rows); err != nil {
		return fmt.Errorf("monitor: write counters: %w", err)
	}
	rows = rows[:0]
	for k, c := range t.open {
		rows = append(rows, []any{k.Agency, level1(k.Agency), k.Month, c.Open, c.Late})
	}
	if err := bulkInsert(ctx, q, "INSERT INTO mon_open (agency, l1, month, open_count, late_count)", 5, rows); err != nil {
		return fmt.Errorf("monitor: write month-end counts: %w", err)
	}
	return nil
}

// ---- state ----

func setState(ctx context.Context, q store.Querier, name, value string) error {
	_, err := q.Exec(ctx, "INSERT INTO mon_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value", name, value)
	return err
}

func getState(ctx context.Context, q store.Querier, name string) (string, error) {
	var v string
	err := q.QueryRow(ctx, "SELECT value FROM mon_state WHERE name = ?", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}
