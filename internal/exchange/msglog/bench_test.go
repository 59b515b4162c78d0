package msglog_test

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// BenchmarkAppend appends from many goroutines at once, as a busy gateway
// does (16 per CPU), and reports the throughput and the median and 99th
// percentile time an Append waits for its commit. Run it on two cores with
// -cpu 2.
func BenchmarkAppend(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchAppend(b, storetest.OpenSQLite(b)) })
	b.Run("sqlite-full", func(b *testing.B) { benchAppend(b, openSQLiteFull(b)) })
	b.Run("postgres", func(b *testing.B) {
		if storetest.PostgresURL() == "" {
			b.Skip("PostgreSQL not configured: set VNGOV_TEST_POSTGRES=postgres://... to run")
		}
		benchAppend(b, storetest.OpenPostgres(b))
	})
}

// BenchmarkAppendPaced appends at a steady 5,000 a second, each from its
// own goroutine as HTTP handlers do, and reports the median and 99th
// percentile wait: the latency the log adds to a request at the target
// load. Use -benchtime 10000x (two seconds).
func BenchmarkAppendPaced(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchPaced(b, storetest.OpenSQLite(b), 5000) })
	b.Run("sqlite-full", func(b *testing.B) { benchPaced(b, openSQLiteFull(b), 5000) })
	b.Run("postgres", func(b *testing.B) {
		if storetest.PostgresURL() == "" {
			b.Skip("PostgreSQL not configured: set VNGOV_TEST_POSTGRES=postgres://... to run")
		}
		benchPaced(b, storetest.OpenPostgres(b), 5000)
	})
}

// openSQLiteFull opens SQLite as production does by default, syncing each
// commit to disk (storetest's databases survive a process crash only).
func openSQLiteFull(b *testing.B) *store.DB {
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(b.TempDir(), "vngov.db"), Synchronous: "full"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

func benchPaced(b *testing.B, db *store.DB, perSecond int) {
	ctx := context.Background()
	migrate(b, db)
	h := newHub(b)
	l := h.start(b, db, "gw-bench", msglog.Options{BatchInterval: time.Hour, BatchMax: 20000})
	r := rec(1)
	r.ResponseBody = make([]byte, 512)
	waits := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	interval := time.Second / time.Duration(perSecond)
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			if err := l.Append(ctx, r); err != nil {
				b.Error(err)
			}
			waits[i] = time.Since(t0)
		}()
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(waits)
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "appends/s")
	b.ReportMetric(float64(waits[len(waits)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(waits[len(waits)*90/100].Microseconds()), "p90-µs")
	b.ReportMetric(float64(waits[len(waits)*95/100].Microseconds()), "p95-µs")
	b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds()), "p99-µs")
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}

func benchAppend(b *testing.B, db *store.DB) {
	ctx := context.Background()
	migrate(b, db)
	h := newHub(b)
	l := h.start(b, db, "gw-bench", msglog.Options{})
	r := rec(1)
	r.ResponseBody = make([]byte, 512) // a service that logs bodies
	var mu sync.Mutex
	var waits []time.Duration
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var mine []time.Duration
		for pb.Next() {
			t0 := time.Now()
			if err := l.Append(ctx, r); err != nil {
				b.Error(err)
				return
			}
			mine = append(mine, time.Since(t0))
		}
		mu.Lock()
		waits = append(waits, mine...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(waits)
	if len(waits) > 0 {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
		b.ReportMetric(float64(waits[len(waits)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(waits[len(waits)*99/100].Microseconds()), "p99-µs")
	}
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
}
