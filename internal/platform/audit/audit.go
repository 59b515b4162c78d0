// Package audit is the platform's append-only, hash-chained audit trail
// (nhật ký kiểm toán): who did what, to what, when, from where, and with
// what result. Each row's hash covers its fields and the previous row's
// hash, so altering, deleting or reordering any row breaks the chain from
// that row on, and Verify names it.
package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the audit trail's tables.
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// Results of an audited action.
const (
	OK      = "ok"      // done
	Denied  = "denied"  // refused for lack of credential or right
	Invalid = "invalid" // refused for bad input
	Failed  = "failed"  // attempted and failed
)

// genesis is the previous hash of the first row.
const genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Entry is one audited action.
type Entry struct {
	Seq       int64          `json:"seq"`
	Time      time.Time      `json:"time"`
	Actor     string         `json:"actor"`  // who: "admin-token", an account id, a member id
	Action    string         `json:"action"` // what: "catalog.publish"
	Object    string         `json:"object"` // to what: "catalog/admin-units"
	SourceIP  string         `json:"source_ip"`
	Result    string         `json:"result"`
	RequestID string         `json:"request_id"`
	Detail    map[string]any `json:"detail,omitempty"`
	PrevHash  string         `json:"prev_hash"`
	Hash      string         `json:"hash"`
}

// Record appends e to the trail inside q, normally the transaction that
// makes the change, so the change and its audit row commit together. For
// actions that change nothing (a refused request), pass the DB.
func Record(ctx context.Context, q store.Querier, e Entry) error {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Result == "" {
		e.Result = OK
	}
	detail := "{}"
	if len(e.Detail) > 0 {
		b, err := json.Marshal(e.Detail)
		if err != nil {
			return fmt.Errorf("audit: encode detail: %w", err)
		}
		detail = string(b)
	}
	if db, ok := q.(*store.DB); ok {
		return db.Tx(ctx, func(tx *store.Tx) error { return appendRow(ctx, tx, e, detail) })
	}
	return appendRow(ctx, q, e, detail)
}

func appendRow(ctx context.Context, q store.Querier, e Entry, detail string) error {
	if q.Dialect() == store.Postgres {
		// Serialise appends so each row chains to the one committed before
		// it; the lock is released at commit.
		if _, err := q.Exec(ctx, "SELECT pg_advisory_xact_lock(7262001)"); err != nil {
			return fmt.Errorf("audit: lock: %w", err)
		}
	}
	prev := genesis
	var seq int64
	err := q.QueryRow(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: read chain head: %w", err)
	}
	at := e.Time.UnixMicro()
	h := rowHash(prev, at, e.Actor, e.Action, e.Object, e.SourceIP, e.Result, e.RequestID, detail)
	_, err = q.Exec(ctx, "INSERT INTO audit_log (at, actor, action, object, source_ip, result, request_id, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		at, e.Actor, e.Action, e.Object, e.SourceIP, e.Result, e.RequestID, detail, prev, h)
	if err != nil {
		return fmt.Errorf("audit: append %s: %w", e.Action, err)
	}
	return nil
}

// rowHash is SHA-256 over the previous hash and the row's fields, each
// length-prefixed so that no two different rows encode alike.
func rowHash(prev string, at int64, fields ...string) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte(strconv.FormatInt(at, 10)))
	for _, f := range fields {
		h.Write([]byte{0})
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Report is the outcome of Verify.
type Report struct {
	Rows     int    // rows checked
	OK       bool   // the whole chain holds
	BadSeq   int64  // the first row that does not hold, when !OK
	Reason   string // why it does not hold
	LastHash string // the head of the chain, to write down and compare later
}

// Verify walks the whole trail in order and checks every link.
func Verify(ctx context.Context, q store.Querier) (Report, error) {
	rows, err := q.Query(ctx, "SELECT seq, at, actor, action, object, source_ip, result, request_id, detail, prev_hash, hash FROM audit_log ORDER BY seq")
	if err != nil {
		return Report{}, fmt.Errorf("audit: read: %w", err)
	}
	defer rows.Close()
	rep := Report{OK: true, LastHash: genesis}
	prev := genesis
	for rows.Next() {
		var seq, at int64
		var actor, action, object, ip, result, rid, detail, prevHash, hash string
		if err := rows.Scan(&seq, &at, &actor, &action, &object, &ip, &result, &rid, &detail, &prevHash, &hash); err != nil {
			return rep, fmt.Errorf("audit: read: %w", err)
		}
		rep.Rows++
		switch {
		case prevHash != prev:
			return fail(rep, seq, fmt.Sprintf("row %d does not link to the row before it (a row was removed, inserted or reordered before it)", seq)), nil
		case rowHash(prev, at, actor, action, object, ip, result, rid, detail) != hash:
			return fail(rep, seq, fmt.Sprintf("row %d was altered: its contents do not match its hash", seq)), nil
		}
		prev = hash
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit: read: %w", err)
	}
	rep.LastHash = prev
	return rep, nil
}

func fail(rep Report, seq int64, reason string) Report {
	rep.OK, rep.BadSeq, rep.Reason = false, seq, reason
	return rep
}

// Query selects entries for reading the trail, newest first.
type Query struct {
	Actor, Object, Action string
	Limit, Offset         int
}

// List returns entries matching qy, newest first.
func List(ctx context.Context, q store.Querier, qy Query) ([]Entry, error) {
	where, args := []string{"1=1"}, []any{}
	for col, v := range map[string]string{"actor": qy.Actor, "object": qy.Object, "action": qy.Action} {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	if qy.Limit <= 0 || qy.Limit > 1000 {
		qy.Limit = 100
	}
	args = append(args, qy.Limit, qy.Offset)
	rows, err := q.Query(ctx, "SELECT seq, at, actor, action, object, source_ip, result, request_id, detail, prev_hash, hash FROM audit_log WHERE "+strings.Join(where, " AND ")+" ORDER BY seq DESC LIMIT ? OFFSET ?", args...)
	if err != nil {
		return nil, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at int64
		var detail string
		if err := rows.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Object, &e.SourceIP, &e.Result, &e.RequestID, &detail, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("audit: list: %w", err)
		}
		e.Time = time.UnixMicro(at)
		json.Unmarshal([]byte(detail), &e.Detail)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Actor is who is acting and from where, as the HTTP edge knows it; services
// receive it with each write and stamp it on their audit rows.
type Actor struct {
	Subject   string
	SourceIP  string
	RequestID string
}

// Entry returns an entry for an action by a.
func (a Actor) Entry(action, object, result string, detail map[string]any) Entry {
	return Entry{Actor: a.Subject, SourceIP: a.SourceIP, RequestID: a.RequestID, Action: action, Object: object, Result: result, Detail: detail}
}
