package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func migrated(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	if err := db.Migrate(context.Background(), "bus", Migrations()); err != nil {
		t.Fatal(err)
	}
	return db
}

func openEmbedded(t *testing.T, dir string) *Bus {
	t.Helper()
	b, err := Open(context.Background(), Config{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func emit(t *testing.T, db *store.DB, typ, subject string) Event {
	t.Helper()
	var ev Event
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		ev, err = Emit(context.Background(), tx, Event{Type: typ, Source: "test", Subject: subject, Data: json.RawMessage(`{"n":1}`)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func count(t *testing.T, b *Bus, typ string) uint64 {
	t.Helper()
	n, err := b.Count(context.Background(), typ)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOutboxRelayDeliversOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrated(t, db)
		b := openEmbedded(t, t.TempDir())
		defer b.Close()

		got := make(chan Event, 10)
		sub, err := b.Subscribe(ctx, "test-consumer", "thing.>", func(ctx context.Context, ev Event) error {
			got <- ev
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Stop()

		sent := emit(t, db, "thing.created", "a")
		// A rolled-back change emits nothing.
		db.Tx(ctx, func(tx *store.Tx) error {
			Emit(ctx, tx, Event{Type: "thing.created", Subject: "rolled-back"})
			return errors.New("abort")
		})
		r := NewRelay(db, b, nil)
		if n, err := r.Once(ctx); err != nil || n != 1 {
			t.Fatalf("relay once: n=%d err=%v", n, err)
		}
		select {
		case ev := <-got:
			if ev.ID != sent.ID || ev.Subject != "a" || string(ev.Data) != `{"n":1}` {
				t.Fatalf("got %+v, want %+v", ev, sent)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("event not delivered")
		}
		select {
		case ev := <-got:
			t.Fatalf("unexpected second event %+v", ev)
		case <-time.After(200 * time.Millisecond):
		}
		if n, _ := Pending(ctx, db); n != 0 {
			t.Fatalf("pending = %d after relay", n)
		}
	})
}

// TestRelayCrashLosesNothing kills the relay at both dangerous points,
// between commit and publish and between publish and marking, restarts
// database and bus from disk, and finds each event exactly once.
func TestRelayCrashLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrated(t, db)
		natsDir := t.TempDir()
		b := openEmbedded(t, natsDir)

		// Crash 1: the change commits, the relay dies before publishing.
		emit(t, db, "thing.changed", "one")
		// Crash 2: the relay publishes, JetStream acknowledges, and the relay
		// dies before it marks the row.
		emit(t, db, "thing.changed", "two")
		r := NewRelay(db, b, nil)
		r.afterPublish = func() error { return errors.New("killed") }
		if _, err := r.Once(ctx); err == nil {
			t.Fatal("want the injected crash")
		}
		if got := count(t, b, "thing.changed"); got != 2 {
			t.Fatalf("after crash: stream has %d, want 2 (published, unmarked)", got)
		}
		if n, _ := Pending(ctx, db); n != 2 {
			t.Fatalf("after crash: pending %d, want 2", n)
		}
		b.Close()

		// Restart: a new bus on the same store directory and a new relay.
		b2 := openEmbedded(t, natsDir)
		defer b2.Close()
		r2 := NewRelay(db, b2, nil)
		if _, err := r2.Once(ctx); err != nil {
			t.Fatal(err)
		}
		if got := count(t, b2, "thing.changed"); got != 2 {
			t.Fatalf("after restart: stream has %d events, want exactly 2", got)
		}
		if n, _ := Pending(ctx, db); n != 0 {
			t.Fatalf("after restart: pending %d", n)
		}
	})
}

func TestSeenDeduplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrated(t, db)
		for i, want := range []bool{false, true, true} {
			var seen bool
			err := db.Tx(ctx, func(tx *store.Tx) error {
				var err error
				seen, err = Seen(ctx, tx, "c1", "ev-1")
				return err
			})
			if err != nil || seen != want {
				t.Fatalf("call %d: seen=%v err=%v, want %v", i, seen, err, want)
			}
		}
		var seen bool
		db.Tx(ctx, func(tx *store.Tx) (err error) { seen, err = Seen(ctx, tx, "c2", "ev-1"); return })
		if seen {
			t.Fatal("another consumer's mark counted")
		}
	})
}

func TestEmitRejectsBadType(t *testing.T) {
	db := migrated(t, storetest.OpenSQLite(t))
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		_, err := Emit(context.Background(), tx, Event{Type: "bad type"})
		return err
	})
	if err == nil {
		t.Fatal("want error")
	}
}

// TestExternalCluster runs the outbox against a real three-node NATS
// cluster over TCP on loopback, with the stream replicated three times, as
// production runs it.
func TestExternalCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test skipped in -short mode")
	}
	url := startCluster(t, 3)
	ctx := context.Background()
	b, err := Open(ctx, Config{URL: url, Replicas: 3}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	db := migrated(t, storetest.OpenSQLite(t))
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	sub, err := b.Subscribe(ctx, "cluster-test", "load.>", func(ctx context.Context, ev Event) error {
		mu.Lock()
		defer mu.Unlock()
		seen[ev.ID]++
		if len(seen) == 100 {
			close(done)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Stop()
	for i := 0; i < 100; i++ {
		emit(t, db, "load.tick", fmt.Sprint(i))
	}
	r := NewRelay(db, b, nil)
	for {
		n, err := r.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("delivered %d of 100", len(seen))
	}
	if err := b.Ready(ctx); err != nil {
		t.Fatal(err)
	}
}

func startCluster(t *testing.T, n int) string {
	t.Helper()
	ports := make([]int, n)
	clusterPorts := make([]int, n)
	for i := range ports {
		ports[i], clusterPorts[i] = freePort(t), freePort(t)
	}
	var servers []*server.Server
	for i := 0; i < n; i++ {
		var routes []string
		for j := 0; j < n; j++ {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", clusterPorts[j]))
			}
		}
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i),
			Host:       "127.0.0.1",
			Port:       ports[i],
			JetStream:  true,
			StoreDir:   filepath.Join(t.TempDir(), fmt.Sprint(i)),
			NoLog:      true,
			NoSigs:     true,
			Cluster:    server.ClusterOpts{Name: "vngov-test", Host: "127.0.0.1", Port: clusterPorts[i]},
			Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		}
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		servers = append(servers, s)
	}
	t.Cleanup(func() {
		for _, s := range servers {
			s.Shutdown()
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range servers {
		if !s.ReadyForConnections(30 * time.Second) {
			t.Fatal("cluster node not ready")
		}
	}
	for time.Now().Before(deadline) {
		if servers[0].JetStreamIsClustered() && servers[0].JetStreamIsCurrent() && hasLeader(servers) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	var urls []string
	for _, p := range ports {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return strings.Join(urls, ",")
}

func hasLeader(servers []*server.Server) bool {
	for _, s := range servers {
		if s.JetStreamIsLeader() {
			return true
		}
	}
	return false
}
