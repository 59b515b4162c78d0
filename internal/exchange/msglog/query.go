package msglog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
)

// ErrNotFound is returned by Get for a record that is not in the log.
var ErrNotFound = errors.New("msglog: record not found")

// Filter selects records for List and Counts; empty fields select all.
type Filter struct {
	Gateway   string
	Client    string
	Service   string
	MessageID string
	// From and To bound the records' start time: [From, To).
	From, To time.Time
	// Limit (default 100, at most 1000) and Offset page List.
	Limit, Offset int
}

func (f Filter) where() (string, []any) {
	where, args := []string{"1=1"}, []any{}
	for _, c := range []struct{ col, v string }{{"gateway", f.Gateway}, {"client", f.Client}, {"service", f.Service}, {"message_id", f.MessageID}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if !f.From.IsZero() {
		where = append(where, "started >= ?")
		args = append(args, f.From.UnixMicro())
	}
	if !f.To.IsZero() {
		where = append(where, "started < ?")
		args = append(args, f.To.UnixMicro())
	}
	return strings.Join(where, " AND "), args
}

// listColumns are recordColumns without the bodies, which Get returns.
var listColumns = strings.Replace(recordColumns, "request_body, response_body", "NULL AS request_body, NULL AS response_body", 1)

// List returns the records f selects, newest first, without their bodies.
func List(ctx context.Context, q store.Querier, f Filter) ([]Record, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	where, args := f.where()
	args = append(args, f.Limit, max(f.Offset, 0))
	rows, err := q.Query(ctx, "SELECT "+listColumns+" FROM msglog_record WHERE "+where+" ORDER BY started DESC, seq DESC LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, fmt.Errorf("msglog: list: %w", err)
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("msglog: list: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("msglog: list: %w", err)
	}
	return out, nil
}

// Get returns one record with its bodies.
func Get(ctx context.Context, q store.Querier, gateway string, seq int64) (Record, error) {
	rows, err := q.Query(ctx, "SELECT "+recordColumns+" FROM msglog_record WHERE gateway = ? AND seq = ?", gateway, seq)
	if err != nil {
		return Record{}, fmt.Errorf("msglog: get: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return Record{}, fmt.Errorf("msglog: get: %w", err)
		}
		return Record{}, ErrNotFound
	}
	r, err := scanRecord(rows)
	if err != nil {
		return Record{}, fmt.Errorf("msglog: get: %w", err)
	}
	return r, nil
}

// Count is how many requests one client made of one service, and how many
// of them failed (an error status or an exchange error).
type Count struct {
	Client   string `json:"client"`
	Service  string `json:"service"`
	Requests int64  `json:"requests"`
	Failed   int64  `json:"failed"`
}

// Counts counts the records f selects per client and service, busiest
// first. It reads the index entries of the selected range, so keep the
// range to days, not years.
func Counts(ctx context.Context, q store.Querier, f Filter) ([]Count, error) {
	where, args := f.where()
	rows, err := q.Query(ctx, "SELECT client, service, COUNT(*), SUM(CASE WHEN status >= 400 OR error_type <> '' THEN 1 ELSE 0 END) FROM msglog_record WHERE "+where+
		" GROUP BY client, service ORDER BY COUNT(*) DESC, client, service", args...)
	if err != nil {
		return nil, fmt.Errorf("msglog: counts: %w", err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var failed sql.NullInt64
		if err := rows.Scan(&c.Client, &c.Service, &c.Requests, &failed); err != nil {
			return nil, fmt.Errorf("msglog: counts: %w", err)
		}
		c.Failed = failed.Int64
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("msglog: counts: %w", err)
	}
	return out, nil
}
