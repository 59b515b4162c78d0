package dossier

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/vngov/vngov/internal/platform/store"
)

// Group commit. SQLite has one writer: transactions run one after the
// other, and each pays its own BEGIN, COMMIT and fsync. On SQLite the
// engine therefore gathers the writes that arrive while a transaction is
// running and runs them together in the next one, each inside its own
// savepoint: a write that fails is rolled back to its savepoint alone and
// the others go on. Nobody hears of success before the transaction that
// holds their write has committed, so each write is still all or nothing
// and nothing acknowledged is lost on a crash. PostgreSQL has many
// writers and its own group commit; there every write is its own
// transaction.

// maxBatch bounds how many writes share one transaction.
const maxBatch = 256

type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx *store.Tx) error
	done chan error
}

type batcher struct {
	db      *store.DB
	mu      sync.Mutex
	queue   []*writeReq
	running bool
	largest atomic.Int64 // the largest batch so far, for tests
}

// write runs fn in a write transaction: its own on PostgreSQL, a shared
// one with a savepoint of its own on SQLite. It returns once the outcome is
// durable (or known to have failed), even if ctx ends meanwhile.
//
// On SQLite fn gets a context that is never cancelled: SQLite answers a
// cancelled statement by rolling back the whole transaction, which would
// take the other writes of the batch with it. A write whose caller gave up
// before its turn is skipped.
func (s *Service) write(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	if s.db.Dialect() != store.SQLite {
		return s.db.Tx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) })
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.batchOnce.Do(func() { s.batch = &batcher{db: s.db} })
	r := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.batch.submit(r)
	return <-r.done
}

func (b *batcher) submit(r *writeReq) {
	b.mu.Lock()
	b.queue = append(b.queue, r)
	if !b.running {
		b.running = true
		go b.loop()
	}
	b.mu.Unlock()
}

// loop runs batches until the queue is empty, then ends.
func (b *batcher) loop() {
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		batch := make([]*writeReq, n)
		copy(batch, b.queue)
		b.queue = append(b.queue[:0], b.queue[n:]...)
		b.mu.Unlock()
		if int64(n) > b.largest.Load() {
			b.largest.Store(int64(n))
		}
		b.run(batch)
	}
}

func (b *batcher) run(batch []*writeReq) {
	results := make([]error, len(batch))
	ctx := context.Background()
	err := b.db.Tx(ctx, func(tx *store.Tx) error {
		if len(batch) == 1 {
			// Alone: the transaction is the write's own.
			results[0] = batch[0].ctx.Err()
			if results[0] == nil {
				results[0] = batch[0].fn(context.WithoutCancel(batch[0].ctx), tx)
			}
			return results[0]
		}
		for i, r := range batch {
			if err := r.ctx.Err(); err != nil {
				results[i] = err
				continue
			}
			if _, err := tx.Exec(ctx, "SAVEPOINT dos_write"); err != nil {
				return err
			}
			if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
				results[i] = err
				if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT dos_write"); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT dos_write"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range batch {
		switch {
		case len(batch) == 1:
			r.done <- err
		case err != nil:
			// The shared transaction did not commit: no write of it did.
			r.done <- err
		default:
			r.done <- results[i]
		}
	}
}
