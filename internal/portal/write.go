package portal

import (
	"context"
	"sync"

	"github.com/vngov/vngov/internal/platform/store"
)

// Group commit of the drafts' writes, as the dossier engine does it.
// SQLite has one writer and every transaction pays its own commit and
// fsync; many citizens filing at once would queue for it. On SQLite the
// writes that arrive while a transaction runs are gathered into the next
// one, each in a savepoint of its own (a failing write is rolled back
// alone), and nobody hears of success before the shared transaction has
// committed. PostgreSQL has many writers: there each write is its own
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
}

// write runs fn in a write transaction: its own on PostgreSQL, a shared
// one with a savepoint of its own on SQLite. It returns once the outcome
// is durable or known to have failed. On SQLite fn gets a context that is
// never cancelled (a cancelled statement would roll back the whole shared
// transaction); a write whose caller gave up before its turn is skipped.
func (s *drafts) write(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
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
		b.run(batch)
	}
}

func (b *batcher) run(batch []*writeReq) {
	results := make([]error, len(batch))
	ctx := context.Background()
	err := b.db.Tx(ctx, func(tx *store.Tx) error {
		if len(batch) == 1 {
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
			if _, err := tx.Exec(ctx, "SAVEPOINT portal_write"); err != nil {
				return err
			}
			if err := r.fn(context.WithoutCancel(r.ctx), tx); err != nil {
				results[i] = err
				if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT portal_write"); err != nil {
					return err
				}
			}
			if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT portal_write"); err != nil {
				return err
			}
		}
		return nil
	})
	for i, r := range batch {
		switch {
		case len(batch) == 1, err != nil:
			r.done <- err
		default:
			r.done <- results[i]
		}
	}
}
