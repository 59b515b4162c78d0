package catalog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestPublishSurvivesRelayCrash publishes a list version, kills the relay
// first before it publishes and then after JetStream took the event but
// before the outbox row was marked, restarts the bus from disk, and finds
// exactly one catalog.changed event for that version.
func TestPublishSurvivesRelayCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := newService(t, db)
		natsDir := t.TempDir()
		b, err := bus.Open(ctx, bus.Config{Dir: natsDir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		who := audit.Actor{Subject: "admin"}
		svc.CreateList(ctx, who, List{Code: "vsic", Name: "Ngành kinh tế", Owner: "000.00.00.G12"})
		svc.StageItem(ctx, who, "vsic", Item{Code: "A", Name: "Nông nghiệp"})
		if _, err := svc.Publish(ctx, who, "vsic", ""); err != nil {
			t.Fatal(err)
		}
		// Killed between commit and publish: nothing has left the outbox.
		if n, _ := b.Count(ctx, EventChanged); n != 0 {
			t.Fatalf("events before any relay ran: %d", n)
		}
		// Restarted, then killed again after JetStream acknowledged the
		// batch but before the rows were marked published.
		r := bus.NewRelay(db, b, nil)
		r.InjectCrash(func() error { return errors.New("killed") })
		if _, err := r.Once(ctx); err == nil {
			t.Fatal("want the injected crash")
		}
		b.Close()

		b2, err := bus.Open(ctx, bus.Config{Dir: natsDir}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b2.Close()
		var mu sync.Mutex
		got := map[string]int{}
		sub, err := b2.Subscribe(ctx, "crash-test", EventChanged, func(ctx context.Context, ev bus.Event) error {
			mu.Lock()
			got[ev.Subject]++
			mu.Unlock()
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()
		r2 := bus.NewRelay(db, b2, nil)
		for {
			n, err := r2.Once(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			n := got["vsic"]
			mu.Unlock()
			if n > 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		if got["vsic"] != 1 {
			t.Fatalf("catalog.changed events for the published version: %d, want exactly 1 (all: %v)", got["vsic"], got)
		}
		var rows int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE type = ?", EventChanged).Scan(&rows)
		if n, _ := b2.Count(ctx, EventChanged); int(n) != rows {
			t.Fatalf("stream holds %d catalog.changed, outbox %d", n, rows)
		}
		if p, _ := bus.Pending(ctx, db); p != 0 {
			t.Fatalf("pending after restart: %d", p)
		}
	})
}
