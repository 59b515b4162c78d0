package limit

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLimiter(t *testing.T, db *store.DB) (*Limiter, *clock) {
	t.Helper()
	if err := db.Migrate(context.Background(), "limit", Migrations()); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)}
	l := New(db)
	l.now = c.now
	return l, c
}

func TestLockFor(t *testing.T) {
	want := []time.Duration{0, 0, 0, 0, 0, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}
	for n, w := range want {
		if got := LockFor(n); got != w {
			t.Errorf("LockFor(%d) = %v, want %v", n, got, w)
		}
	}
	if LockFor(1000) != time.Hour {
		t.Error("no cap")
	}
}

func TestLimiter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, c := newLimiter(t, db)
		const key = "login:acct:42"

		check := func(want time.Duration) {
			t.Helper()
			got, err := l.Check(ctx, key)
			if err != nil || got != want {
				t.Fatalf("Check = %v, %v; want %v", got, err, want)
			}
		}
		fail := func(want time.Duration) {
			t.Helper()
			got, err := l.Fail(ctx, key)
			if err != nil || got != want {
				t.Fatalf("Fail = %v, %v; want %v", got, err, want)
			}
		}

		check(0)
		for range Threshold - 1 {
			fail(0)
			check(0)
		}
		fail(time.Minute)
		check(time.Minute)
		c.add(20 * time.Second)
		check(40 * time.Second)
		if w, _ := l.Check(ctx, "login:acct:43"); w != 0 {
			t.Fatalf("another key waits %v", w)
		}
		c.add(40 * time.Second)
		check(0)
		fail(2 * time.Minute)
		c.add(2 * time.Minute)
		fail(4 * time.Minute)
		for _, w := range []time.Duration{8, 16, 32, 60, 60} {
			c.add(time.Hour)
			fail(w * time.Minute)
		}

		if err := l.Succeed(ctx, key); err != nil {
			t.Fatal(err)
		}
		check(0)
		for range Threshold - 1 {
			fail(0)
		}
		// A day without failures and the count starts again.
		c.add(Forget + time.Second)
		fail(0)
		for range Threshold - 2 {
			fail(0)
		}
		fail(time.Minute)
	})
}

// Twenty tries at once, as from several nodes: every one counts, and each
// sees the lock its own position in the count earns.
func TestConcurrentFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, _ := newLimiter(t, db)
		const n = 20
		waits := make([]time.Duration, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { waits[i], errs[i] = l.Fail(ctx, "login:ip:203.0.113.7") })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var want []time.Duration
		for i := 1; i <= n; i++ {
			want = append(want, LockFor(i))
		}
		slices.Sort(waits)
		if !slices.Equal(waits, want) {
			t.Fatalf("waits %v, want %v", waits, want)
		}
		if w, err := l.Check(ctx, "login:ip:203.0.113.7"); err != nil || w != MaxLock {
			t.Fatalf("Check = %v, %v", w, err)
		}
	})
}

// Two nodes, each with its own connection pool, share the counts.
func TestSharedBetweenNodes(t *testing.T) {
	open := func(t *testing.T) (*store.DB, *store.DB) {
		u, _ := storetest.SchemaURL(t)
		var dbs [2]*store.DB
		for i := range dbs {
			db, err := store.Open(context.Background(), store.Config{URL: u, MaxConns: 4})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			dbs[i] = db
		}
		return dbs[0], dbs[1]
	}
	t.Run("postgres", func(t *testing.T) {
		a, b := open(t)
		ctx := context.Background()
		la, c := newLimiter(t, a)
		lb := New(b)
		lb.now = c.now
		for i := range Threshold {
			l := la
			if i%2 == 1 {
				l = lb
			}
			if _, err := l.Fail(ctx, "otp:acct:7"); err != nil {
				t.Fatal(err)
			}
		}
		if w, err := la.Check(ctx, "otp:acct:7"); err != nil || w != FirstLock {
			t.Fatalf("node a: %v, %v", w, err)
		}
		if w, err := lb.Check(ctx, "otp:acct:7"); err != nil || w != FirstLock {
			t.Fatalf("node b: %v, %v", w, err)
		}
		if err := lb.Succeed(ctx, "otp:acct:7"); err != nil {
			t.Fatal(err)
		}
		if w, _ := la.Check(ctx, "otp:acct:7"); w != 0 {
			t.Fatalf("node a still waits %v after node b reset", w)
		}
	})
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, c := newLimiter(t, db)
		for range Threshold {
			l.Fail(ctx, "locked")
		}
		l.Fail(ctx, "old")
		c.add(Forget + time.Minute)
		l.Fail(ctx, "fresh")
		n, err := l.Prune(ctx)
		if err != nil || n != 2 {
			t.Fatalf("Prune = %d, %v; want 2 (old, and locked whose lock is over)", n, err)
		}
		var left int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM id_attempt").Scan(&left)
		if left != 1 {
			t.Fatalf("%d rows left", left)
		}
	})
}
