package bus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vngov/vngov/internal/platform/store"
)

// Relay publishes outbox rows to JetStream and marks them published. A row
// is marked only after JetStream acknowledged it, so a crash at any point
// loses nothing: unmarked rows are published again on restart, and the
// message id makes JetStream store them once.
type Relay struct {
	db       *store.DB
	bus      *Bus
	log      *slog.Logger
	batch    int
	interval time.Duration
	keep     time.Duration
	wake     chan struct{}

	// afterPublish, when set (tests), runs after JetStream acknowledged a
	// batch and before the rows are marked; an error aborts the batch as a
	// crash would.
	afterPublish func() error
}

// NewRelay returns a relay from db's outbox to b.
func NewRelay(db *store.DB, b *Bus, log *slog.Logger) *Relay {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Relay{db: db, bus: b, log: log, batch: 500, interval: 100 * time.Millisecond, keep: 7 * 24 * time.Hour, wake: make(chan struct{}, 1)}
}

// Kick asks the relay to look at the outbox now rather than at its next tick.
func (r *Relay) Kick() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	lastPrune := time.Now()
	for {
		for {
			n, err := r.Once(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				r.log.Warn("bus: relay batch failed, retrying", "err", err)
				break
			}
			if n < r.batch {
				break
			}
		}
		if time.Since(lastPrune) > time.Hour {
			r.prune(ctx)
			lastPrune = time.Now()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-r.wake:
		}
	}
}

// Once publishes one batch of pending rows and returns how many it published.
func (r *Relay) Once(ctx context.Context) (int, error) {
	if r.db.Dialect() == store.Postgres {
		// Several relays may run against one database: each locks its rows
		// and skips rows another relay holds.
		n := 0
		err := r.db.Tx(ctx, func(tx *store.Tx) error {
			evs, seqs, err := r.pending(ctx, tx, " FOR UPDATE SKIP LOCKED")
			if err != nil || len(evs) == 0 {
				return err
			}
			if err := r.publish(ctx, evs); err != nil {
				return err
			}
			n = len(evs)
			return markPublished(ctx, tx, seqs)
		})
		return n, err
	}
	evs, seqs, err := r.pending(ctx, r.db, "")
	if err != nil || len(evs) == 0 {
		return 0, err
	}
	if err := r.publish(ctx, evs); err != nil {
		return 0, err
	}
	err = r.db.Tx(ctx, func(tx *store.Tx) error { return markPublished(ctx, tx, seqs) })
	if err != nil {
		return 0, err
	}
	return len(evs), nil
}

func (r *Relay) pending(ctx context.Context, q store.Querier, lock string) ([]Event, []int64, error) {
	rows, err := q.Query(ctx, "SELECT seq, id, type, source, subject, time, data FROM bus_outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?"+lock, r.batch)
	if err != nil {
		return nil, nil, fmt.Errorf("bus: read outbox: %w", err)
	}
	defer rows.Close()
	var evs []Event
	var seqs []int64
	for rows.Next() {
		var ev Event
		var seq, t int64
		var data string
		if err := rows.Scan(&seq, &ev.ID, &ev.Type, &ev.Source, &ev.Subject, &t, &data); err != nil {
			return nil, nil, fmt.Errorf("bus: read outbox: %w", err)
		}
		ev.Time = time.UnixMicro(t).UTC()
		ev.Data = json.RawMessage(data)
		evs = append(evs, ev)
		seqs = append(seqs, seq)
	}
	return evs, seqs, rows.Err()
}

func (r *Relay) publish(ctx context.Context, evs []Event) error {
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	for _, ev := range evs {
		f, err := r.bus.publishAsync(ev)
		if err != nil {
			return fmt.Errorf("bus: publish %s: %w", ev.ID, err)
		}
		futures = append(futures, f)
	}
	timeout := time.After(10 * time.Second)
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("bus: publish %s: %w", evs[i].ID, err)
		case <-timeout:
			return errors.New("bus: publish: no acknowledgement from JetStream in 10s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.afterPublish != nil {
		return r.afterPublish()
	}
	return nil
}

func markPublished(ctx context.Context, tx *store.Tx, seqs []int64) error {
	now := time.Now().UnixMicro()
	for start := 0; start < len(seqs); start += 200 {
		end := min(start+200, len(seqs))
		args := make([]any, 0, end-start+1)
		args = append(args, now)
		for _, s := range seqs[start:end] {
			args = append(args, s)
		}
		q := "UPDATE bus_outbox SET published_at = ? WHERE seq IN (?" + strings.Repeat(", ?", end-start-1) + ")"
		if _, err := tx.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("bus: mark published: %w", err)
		}
	}
	return nil
}

// prune deletes rows published longer ago than the keep period.
func (r *Relay) prune(ctx context.Context) {
	cut := time.Now().Add(-r.keep).UnixMicro()
	if _, err := r.db.Exec(ctx, "DELETE FROM bus_outbox WHERE published_at IS NOT NULL AND published_at < ?", cut); err != nil && !errors.Is(err, sql.ErrNoRows) {
		r.log.Warn("bus: prune outbox", "err", err)
	}
}

// InjectCrash makes every later batch fail after JetStream acknowledged it
// and before the rows are marked published, as a process killed at that
// instant would. It exists for crash tests of components; nil removes it.
func (r *Relay) InjectCrash(fn func() error) { r.afterPublish = fn }

// Pending counts outbox rows not yet published, for metrics and tests.
func Pending(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE published_at IS NULL").Scan(&n)
	return n, err
}
