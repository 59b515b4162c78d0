package store

import (
	"context"
	"sync"
	"sync/atomic"
)

// Group commit. SQLite has one writer: transactions run one after the
// other, and each pays its own BEGIN, COMMIT and fsync. A GroupWriter
// therefore gathers, on SQLite, the writes that arrive while a transaction
// is running and runs them together in the next one, each inside its own
// savepoint: a write that fails is rolled back to its savepoint alone and
// the others go on. Nobody hears of success before the transaction that
// holds their write has committed, so each write is still all or nothing
// and nothing acknowledged is lost on a crash. PostgreSQL has many writers
// and its own group commit; there every write is its own transaction.

// maxGroup bounds how many writes share one transaction.
const maxGroup = 256

// GroupWriter runs write transactions with group commit on SQLite. The
// zero value is not usable: use NewGroupWriter.
type GroupWriter struct {
	db      *DB
	mu      sync.Mutex
	queue   []*groupWrite
	running bool
	largest atomic.Int64
}

type groupWrite struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *Tx) error
	done chan error
}

// NewGroupWriter returns a group writer over db.
func NewGroupWriter(db *DB) *GroupWriter { return &GroupWriter{db: db} }

// Largest is the largest number of writes that have shared a transaction.
func (g *GroupWriter) Largest() int64 { return g.largest.Load() }

// Write runs fn in a write transaction: its own on PostgreSQL, a shared
// one with a savepoint of its own on SQLite. It returns once the outcome
// is durable (or known to have failed), even if ctx ends meanwhile.
//
// On SQLite fn gets a context that is never cancelled: SQLite answers a
// cancelled statement by rolling back the whole transaction, which would
// take the other writes of the group with it. A write whose caller gave up
// before its turn is skipped.
func (g *GroupWriter) Write(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	if g.db.Dialect() != SQLite {
		return g.db.Tx(ctx, func(tx *Tx) error { return fn(ctx, tx) })
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &groupWrite{ctx: ctx, fn: fn, done: make(chan error, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, w)
	if !g.running {
		g.running = true
		go g.loop()
	}
	g.mu.Unlock()
	return <-w.done
}

// loop runs groups until the queue is empty, then ends.
func (g *GroupWriter) loop() {
	for {
		g.mu.Lock()
		n := min(len(g.queue), maxGroup)
		if n == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		group := make([]*groupWrite, n)
		copy(group, g.queue)
		g.queue = append(g.queue[:0], g.queue[n:]...)
		g.mu.Unlock()
		if int64(n) > g.largest.Load() {
			g.largest.Store(int64(n))
		}
		g.run(group)
	}
}

func (g *GroupWriter) run(group []*groupWrite) {
	results := make([]error, len(group))
	ctx := context.Background()
	err := g.db.Tx(ctx, func(tx *Tx) error {
		if len(group) == 1 {
			// Alone: the transaction is the write's own.
			results[0] = group[0].ctx.Err()
			if results[0] == nil {
				results[0] = group[0].fn(context.WithoutCancel(group[0].ctx), tx)
			}
			return results[0]
		}
		for i, w := range group {
			if err := w.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := tx.Exec(ctx, "SAVEPOINT group_write"); err != nil {
				return err
			}
			if err := w.fn(context.WithoutCancel(w.ctx), tx); err != nil {
				results[i] = err
				if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT group_write"); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT group_write"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, w := range group {
		switch {
		case len(group) == 1, err != nil:
			// Alone, or the shared transaction did not commit: no write of it did.
			w.done <- err
		default:
			w.done <- results[i]
		}
	}
}
