// Package registry is the shared engine of the base registries (cơ sở dữ
// liệu quốc gia: population, enterprises, land; framework component 18):
// purpose-bound reads over the exchange, the per-person data-access log,
// and the change feed that subscribers read. The registries themselves are
// the subpackages population, enterprise and land.
package registry

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the registries' tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Purpose is who reads, for what: the exchange headers of a call. A read of
// personal data without them is refused (the exchange refuses it first).
type Purpose struct {
	Client    string // INSTANCE/CLASS/MEMBER/SUBSYSTEM of the calling system
	UserID    string // the official (or the citizen, through the wallet)
	Issue     string // the case: a dossier code
	MessageID string
	Service   string
}

// PurposeOf reads the purpose from a request the gateway forwarded.
func PurposeOf(r *http.Request, service string) (Purpose, error) {
	p := Purpose{Client: r.Header.Get("X-Road-Client"), UserID: r.Header.Get("X-Road-UserId"), Issue: r.Header.Get("X-Road-Issue"),
		MessageID: r.Header.Get("X-Road-Id"), Service: service}
	var fields []fault.FieldError
	if p.Client == "" {
		fields = append(fields, fault.FieldError{Field: "X-Road-Client", Code: "purpose.client", Message: "Thiếu hệ thống gọi (X-Road-Client): chỉ gọi được qua cổng kết nối", Detail: "X-Road-Client missing: call through the exchange"})
	}
	if p.UserID == "" {
		fields = append(fields, fault.FieldError{Field: "X-Road-UserId", Code: "purpose.user", Message: "Thiếu cán bộ thực hiện (X-Road-UserId)", Detail: "X-Road-UserId (the official) is required to read personal data"})
	}
	if p.Issue == "" {
		fields = append(fields, fault.FieldError{Field: "X-Road-Issue", Code: "purpose.issue", Message: "Thiếu mục đích (X-Road-Issue), ví dụ mã hồ sơ", Detail: "X-Road-Issue (the purpose, e.g. the dossier code) is required to read personal data"})
	}
	if len(fields) > 0 {
		return p, &fault.Error{Kind: fault.BadRequest, Code: "registry.purpose_missing", Message: "Đọc dữ liệu cá nhân cần ghi rõ ai đọc và vì mục đích gì", Detail: "personal data is read only with a purpose", Fields: fields}
	}
	return p, nil
}

// Access is one read of someone's data.
type Access struct {
	Seq      int64     `json:"seq"`
	Registry string    `json:"registry"`
	Subject  string    `json:"subject"`
	At       time.Time `json:"at"`
	Client   string    `json:"client"`
	UserID   string    `json:"user_id"`
	Issue    string    `json:"issue"`
	Service  string    `json:"service"`
	Fields   []string  `json:"fields"`
}

// RecordAccess logs that p read fields of subject in registry. Inside a
// transaction it writes there; on the DB, concurrent reads are committed
// together (one transaction for many reads) and RecordAccess returns once
// its row is committed, so a read whose answer leaves has its record.
func RecordAccess(ctx context.Context, q store.Querier, registry, subject string, p Purpose, fields []string) error {
	row := accessRow{registry, subject, time.Now().UnixMicro(), p.Client, p.UserID, p.Issue, p.Service, strings.Join(fields, ","), p.MessageID}
	if db, ok := q.(*store.DB); ok {
		return writerFor(db).write(ctx, row)
	}
	if err := insertAccess(ctx, q, []accessRow{row}); err != nil {
		return fmt.Errorf("registry: record access to %s: %w", subject, err)
	}
	return nil
}

type accessRow struct {
	registry, subject string
	at                int64
	client, user      string
	issue, service    string
	fields, message   string
}

func insertAccess(ctx context.Context, q store.Querier, rows []accessRow) error {
	for start := 0; start < len(rows); start += 100 {
		chunk := rows[start:min(start+100, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO reg_access (registry, subject, at, client, user_id, issue, service, fields, message_id) VALUES ")
		args := make([]any, 0, len(chunk)*9)
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			args = append(args, r.registry, r.subject, r.at, r.client, r.user, r.issue, r.service, r.fields, r.message)
		}
		if _, err := q.Exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// accessWriter group-commits access rows for one database.
type accessWriter struct {
	db *store.DB
	ch chan accessReq
}

type accessReq struct {
	row  accessRow
	done chan error
}

var (
	writersMu sync.Mutex
	writers   = map[*store.DB]*accessWriter{}
)

func writerFor(db *store.DB) *accessWriter {
	writersMu.Lock()
	defer writersMu.Unlock()
	w := writers[db]
	if w == nil {
		w = &accessWriter{db: db, ch: make(chan accessReq, 4096)}
		writers[db] = w
		go w.run()
	}
	return w
}

func (w *accessWriter) write(ctx context.Context, row accessRow) error {
	req := accessReq{row: row, done: make(chan error, 1)}
	select {
	case w.ch <- req:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run commits whatever is queued in one transaction, then the next group:
// reads that arrive during a commit share the following one.
func (w *accessWriter) run() {
	for first := range w.ch {
		group := []accessReq{first}
	drain:
		for len(group) < 1000 {
			select {
			case r := <-w.ch:
				group = append(group, r)
			default:
				break drain
			}
		}
		rows := make([]accessRow, len(group))
		for i, r := range group {
			rows[i] = r.row
		}
		err := w.db.Tx(context.Background(), func(tx *store.Tx) error { return insertAccess(context.Background(), tx, rows) })
		if err != nil {
			err = fmt.Errorf("registry: record access: %w", err)
		}
		for _, r := range group {
			r.done <- err
		}
	}
}

// AccessLog returns the reads of subject's data, newest first.
func AccessLog(ctx context.Context, q store.Querier, subject string, limit, offset int) ([]Access, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := q.Query(ctx, "SELECT seq, registry, subject, at, client, user_id, issue, service, fields FROM reg_access WHERE subject = ? ORDER BY at DESC, seq DESC LIMIT ? OFFSET ?", subject, limit, offset)
	if err != nil {
		return nil, fmt.Errorf("registry: access log: %w", err)
	}
	defer rows.Close()
	out := []Access{}
	for rows.Next() {
		var a Access
		var at int64
		var fields string
		if err := rows.Scan(&a.Seq, &a.Registry, &a.Subject, &at, &a.Client, &a.UserID, &a.Issue, &a.Service, &fields); err != nil {
			return nil, err
		}
		a.At = time.UnixMicro(at).UTC()
		if fields != "" {
			a.Fields = strings.Split(fields, ",")
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Change is one entry of a registry's change feed: what changed, never the
// values; a subscriber reads what it is allowed to read.
type Change struct {
	Seq     int64     `json:"seq"`
	Kind    string    `json:"kind"` // created, updated, deceased, residence-changed, ...
	Subject string    `json:"id"`
	Fields  []string  `json:"fields"`
	Version int       `json:"version"`
	At      time.Time `json:"at"`
}

// RecordChange appends to registry's change feed inside tx.
func RecordChange(ctx context.Context, q store.Querier, registry, kind, subject string, fields []string, version int) error {
	_, err := q.Exec(ctx, "INSERT INTO reg_change (registry, kind, subject, fields, version, at) VALUES (?, ?, ?, ?, ?, ?)",
		registry, kind, subject, strings.Join(fields, ","), version, time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("registry: record change of %s: %w", subject, err)
	}
	return nil
}

// Changes returns the feed after seq, oldest first, optionally only kinds.
func Changes(ctx context.Context, q store.Querier, registry string, after int64, kinds []string, limit int) ([]Change, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	query := "SELECT seq, kind, subject, fields, version, at FROM reg_change WHERE registry = ? AND seq > ?"
	args := []any{registry, after}
	if len(kinds) > 0 {
		query += " AND kind IN (?" + strings.Repeat(", ?", len(kinds)-1) + ")"
		for _, k := range kinds {
			args = append(args, k)
		}
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+" ORDER BY seq LIMIT ?", args...)
	if err != nil {
		return nil, fmt.Errorf("registry: changes: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var at int64
		var fields string
		if err := rows.Scan(&c.Seq, &c.Kind, &c.Subject, &fields, &c.Version, &at); err != nil {
			return nil, err
		}
		c.At = time.UnixMicro(at).UTC()
		if fields != "" {
			c.Fields = strings.Split(fields, ",")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Subscribe records that client follows registry's changes of kinds (all
// when empty).
func Subscribe(ctx context.Context, q store.Querier, registry, client string, kinds []string) error {
	_, err := q.Exec(ctx, "INSERT INTO reg_subscription (registry, client, kinds, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (registry, client) DO UPDATE SET kinds = excluded.kinds",
		registry, client, strings.Join(kinds, ","), time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("registry: subscribe: %w", err)
	}
	return nil
}

// ChangesHandler serves a registry's change feed: GET ?after=SEQ&kinds=a,b&limit=N.
// The caller's subscription (kinds) is recorded on first use.
func ChangesHandler(db *store.DB, registry, service string, write func(w http.ResponseWriter, r *http.Request, v any, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
		limit, _ := strconv.Atoi(q.Get("limit"))
		var kinds []string
		if k := q.Get("kinds"); k != "" {
			kinds = strings.Split(k, ",")
		}
		client := r.Header.Get("X-Road-Client")
		if client == "" {
			write(w, r, nil, fault.New(fault.BadRequest, "registry.client_missing", "Chỉ gọi được qua cổng kết nối (thiếu X-Road-Client)", "X-Road-Client missing: call through the exchange"))
			return
		}
		if err := Subscribe(r.Context(), db, registry, client, kinds); err != nil {
			write(w, r, nil, err)
			return
		}
		cs, err := Changes(r.Context(), db, registry, after, kinds, limit)
		next := after
		if len(cs) > 0 {
			next = cs[len(cs)-1].Seq
		}
		write(w, r, map[string]any{"changes": cs, "next_after": next}, err)
	}
}

// MarshalFields is a small helper: the JSON field names set in v (for the
// access log's "which fields").
func MarshalFields(v any) []string {
	b, _ := json.Marshal(v)
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	out := make([]string, 0, len(m))
	for k := range m {
		if k != "version" && k != "valid_from" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// ChangedFields names the JSON fields whose values differ between two
// records of the same struct type, leaving out the registry's own version
// and valid_from; a nil and an empty list count as the same list.
func ChangedFields(a, b any) []string {
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	var out []string
	for i := 0; i < t.NumField(); i++ {
		name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]
		if name == "version" || name == "valid_from" {
			continue
		}
		x, y := va.Field(i), vb.Field(i)
		if x.Kind() == reflect.Slice && x.Len() == 0 && y.Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(x.Interface(), y.Interface()) {
			out = append(out, name)
		}
	}
	return out
}
