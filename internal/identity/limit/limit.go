// Package limit slows down guessing: after Threshold failures a key (an
// account, a client address, a one-time-code challenge) is locked for a
// while, twice as long with each further failure, up to MaxLock. The
// counts live in the database, so every node of a cluster sees the same
// ones.
package limit

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"io/fs"
	"time"

	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migrations are the limiter's table, id_attempt; migrate them as
// component "limit".
func Migrations() fs.FS { sub, _ := fs.Sub(migrationFiles, "migrations"); return sub }

// The lockout schedule: the Threshold-th failure locks the key for
// FirstLock, each further failure doubles the lock, up to MaxLock.
const (
	Threshold = 5
	FirstLock = time.Minute
	MaxLock   = time.Hour
)

// Forget is how long after its last failure a key's count starts again
// from nothing, so that a few typos a week never add up to a lockout.
const Forget = 24 * time.Hour

// Limiter counts failures per key and says how long a key must wait.
type Limiter struct {
	db  *store.DB
	now func() time.Time
}

// New returns a limiter that keeps its counts in db, which must have
// Migrations applied.
func New(db *store.DB) *Limiter { return &Limiter{db: db, now: time.Now} }

// LockFor returns how long the failures-th failure in a row locks a key:
// nothing before Threshold, then FirstLock doubling up to MaxLock.
func LockFor(failures int) time.Duration {
	if failures < Threshold {
		return 0
	}
	d := FirstLock
	for i := Threshold; i < failures && d < MaxLock; i++ {
		d *= 2
	}
	return min(d, MaxLock)
}

// Check returns 0 when key may try now, or else how long until it may.
// Call it before checking the credential, and do not check it (nor count
// a failure) while the key waits.
func (l *Limiter) Check(ctx context.Context, key string) (wait time.Duration, err error) {
	var until int64
	err = l.db.QueryRow(ctx, "SELECT locked_until FROM id_attempt WHERE key = ?", key).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fault.Wrap(err, "limit: check "+key)
	}
	return remaining(until, l.now()), nil
}

// Fail records a failed try of key and returns how long key must now wait
// (0 until the count reaches Threshold). Concurrent calls for one key,
// from any node, each count.
func (l *Limiter) Fail(ctx context.Context, key string) (wait time.Duration, err error) {
	now := l.now()
	ms := now.UnixMilli()
	err = l.db.Tx(ctx, func(tx *store.Tx) error {
		// The upsert takes the row's lock (PostgreSQL) or the only writer
		// (SQLite) until commit, so the count and the lock set from it
		// cannot interleave with another Fail of the same key.
		var n int
		if err := tx.QueryRow(ctx, `INSERT INTO id_attempt (key, failures, locked_until, updated_at) VALUES (?, 1, 0, ?)
			ON CONFLICT (key) DO UPDATE SET
				failures = CASE WHEN id_attempt.updated_at < ? THEN 1 ELSE id_attempt.failures + 1 END,
				updated_at = excluded.updated_at
			RETURNING failures`, key, ms, now.Add(-Forget).UnixMilli()).Scan(&n); err != nil {
			return err
		}
		lock := LockFor(n)
		if lock == 0 {
			return nil
		}
		wait = lock
		_, err := tx.Exec(ctx, "UPDATE id_attempt SET locked_until = ? WHERE key = ?", now.Add(lock).UnixMilli(), key)
		return err
	})
	if err != nil {
		return 0, fault.Wrap(err, "limit: record failure of "+key)
	}
	return wait, nil
}

// Succeed forgets key's failures and lock, after a successful try.
func (l *Limiter) Succeed(ctx context.Context, key string) error {
	if _, err := l.db.Exec(ctx, "DELETE FROM id_attempt WHERE key = ?", key); err != nil {
		return fault.Wrap(err, "limit: reset "+key)
	}
	return nil
}

// Prune deletes the keys whose failures are forgotten and whose lock is
// over, and reports how many; run it now and then so that rows for
// addresses seen once do not pile up. Keeping them would not change any
// answer.
func (l *Limiter) Prune(ctx context.Context) (int64, error) {
	now := l.now()
	res, err := l.db.Exec(ctx, "DELETE FROM id_attempt WHERE updated_at < ? AND locked_until < ?",
		now.Add(-Forget).UnixMilli(), now.UnixMilli())
	if err != nil {
		return 0, fault.Wrap(err, "limit: prune")
	}
	return res.RowsAffected()
}

func remaining(untilMS int64, now time.Time) time.Duration {
	if d := time.UnixMilli(untilMS).Sub(now); d > 0 {
		return d
	}
	return 0
}
