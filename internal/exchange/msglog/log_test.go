package msglog_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/exchange/msglog"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func TestConcurrentAppendsCommitOneChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: 20 * time.Millisecond})
		const goroutines, each = 50, 20
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					r := rec(g*each + i)
					r.RequestBody, r.ResponseBody = []byte(`{"q":1}`), []byte(`{"name":"Nguyễn Văn A"}`)
					if err := l.Append(ctx, r); err != nil {
						t.Error(err)
						return
					}
					// Append returns only after commit: the row is readable now.
					var seq int64
					var body []byte
					if err := db.QueryRow(ctx, "SELECT seq, response_body FROM msglog_record WHERE gateway = ? AND message_id = ?", "gw1", r.MessageID).Scan(&seq, &body); err != nil {
						t.Errorf("record %s not readable right after Append: %v", r.MessageID, err)
						return
					}
					if string(body) != string(r.ResponseBody) {
						t.Errorf("body of %s: %q", r.MessageID, body)
					}
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		n := goroutines * each
		if got := count(t, db, "SELECT COUNT(*) FROM msglog_record WHERE gateway = ?", "gw1"); got != n {
			t.Fatalf("%d records, want %d", got, n)
		}
		if got := count(t, db, "SELECT MAX(seq) - MIN(seq) + 1 FROM msglog_record WHERE gateway = ?", "gw1"); got != n {
			t.Fatalf("seqs span %d, want %d contiguous", got, n)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, db, "gw1", h.ca.Cert)
		if !rep.OK || rep.Records != n || rep.Unsealed != 0 || rep.Batches == 0 || rep.Last != int64(n) {
			t.Fatalf("verify: %+v", rep)
		}
		if err := l.Append(ctx, rec(0)); !errors.Is(err, msglog.ErrClosed) {
			t.Fatalf("append after close: %v", err)
		}
	})
}

func TestSealsByTimeAndByCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		h := newHub(t)

		t.Run("by time", func(t *testing.T) {
			l := h.start(t, db, "gw-time", msglog.Options{BatchInterval: 30 * time.Millisecond})
			appendN(t, l, 0, 5)
			eventually(t, "the interval to seal 5 records", func() bool { return l.Stats().Sealed == 5 })
			if n := count(t, db, "SELECT COUNT(*) FROM msglog_batch WHERE gateway = 'gw-time'"); n < 1 || n > 5 {
				t.Fatalf("%d batches", n)
			}
		})

		t.Run("by count", func(t *testing.T) {
			l := h.start(t, db, "gw-count", msglog.Options{BatchInterval: time.Hour, BatchMax: 10})
			appendN(t, l, 0, 25)
			eventually(t, "two full batches", func() bool { return l.Stats().Sealed == 20 })
			time.Sleep(50 * time.Millisecond)
			if s := l.Stats(); s.Sealed != 20 || s.Committed != 25 {
				t.Fatalf("the 5 left over wait for the interval: %+v", s)
			}
			rep := verify(t, db, "gw-count", h.ca.Cert)
			if !rep.OK || rep.Batches != 2 || rep.Unsealed != 5 {
				t.Fatalf("verify: %+v", rep)
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			rep = verify(t, db, "gw-count", h.ca.Cert)
			if !rep.OK || rep.Batches != 3 || rep.Unsealed != 0 || rep.Records != 25 {
				t.Fatalf("after close: %+v", rep)
			}
		})
	})
}

func TestTimestamperDownLeavesRecordsUnsealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: time.Hour})
		appendN(t, l, 0, 3)
		if err := l.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		h.tsa.down.Store(true)
		appendN(t, l, 3, 4)
		if err := l.Seal(ctx); err == nil {
			t.Fatal("seal succeeded without a timestamp")
		}
		rep := verify(t, db, "gw1", h.ca.Cert)
		if !rep.OK || rep.Records != 7 || rep.Unsealed != 4 || rep.Batches != 1 {
			t.Fatalf("unsealed records are not tampering: %+v", rep)
		}
		h.tsa.down.Store(false)
		if err := l.Seal(ctx); err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, db, "gw1", h.ca.Cert); !rep.OK || rep.Unsealed != 0 || rep.Batches != 2 {
			t.Fatalf("after the timestamper is back: %+v", rep)
		}
	})
}

// TestCrashResumesTheChain abandons a log under load without Close, as
// kill -9 would, and checks that every acknowledged record survives and a
// new log resumes the chain and seals the leftovers.
func TestCrashResumesTheChain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		migrate(t, db)
		h := newHub(t)
		crashed, err := msglog.Open(db, "gw1", h.key, h.cert, h.tsa, msglog.Options{BatchInterval: 10 * time.Millisecond, BatchMax: 50})
		if err != nil {
			t.Fatal(err)
		}
		ctx, kill := context.WithCancel(context.Background())
		crashed.Start(ctx)
		var acked sync.Map
		var n atomic.Int64
		var wg sync.WaitGroup
		for g := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					r := rec(g*100000 + i)
					if err := crashed.Append(ctx, r); err != nil {
						return
					}
					acked.Store(r.MessageID, true)
					n.Add(1)
				}
			}()
		}
		eventually(t, "some load", func() bool { return n.Load() >= 500 })
		kill()
		wg.Wait()
		crashed.WaitStopped()

		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: time.Hour})
		committed := int64(count(t, db, "SELECT COUNT(*) FROM msglog_record WHERE gateway = 'gw1'"))
		if s := l.Stats(); s.Committed != committed {
			t.Fatalf("resumed at %d, want %d", s.Committed, committed)
		}
		acked.Range(func(k, _ any) bool {
			if count(t, db, "SELECT COUNT(*) FROM msglog_record WHERE message_id = ?", k) != 1 {
				t.Fatalf("acknowledged record %s was lost", k)
			}
			return true
		})
		appendN(t, l, 1_000_000, 10)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, db, "gw1", h.ca.Cert)
		if !rep.OK || rep.Records != int(committed)+10 || rep.Unsealed != 0 {
			t.Fatalf("verify after crash: %+v", rep)
		}
	})
}

func TestListGetCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{})
		for i := range 9 {
			r := rec(i)
			if i == 4 {
				r.Status, r.ErrorType = 504, "ServiceTimeout"
				r.ResponseBody = []byte("timeout")
			}
			if err := l.Append(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
		got, err := msglog.List(ctx, db, msglog.Filter{Gateway: "gw1", Service: rec(1).Service, Limit: 2})
		if err != nil || len(got) != 2 || got[0].MessageID != "msg-000007" || got[1].MessageID != "msg-000004" {
			t.Fatalf("list: %+v %v", got, err)
		}
		if got[1].ResponseBody != nil || got[1].Seq != 5 || got[1].Hash == "" {
			t.Fatalf("list row: %+v", got[1])
		}
		one, err := msglog.Get(ctx, db, "gw1", 5)
		if err != nil || string(one.ResponseBody) != "timeout" || one.ErrorType != "ServiceTimeout" {
			t.Fatalf("get: %+v %v", one, err)
		}
		if _, err := msglog.Get(ctx, db, "gw1", 99); !errors.Is(err, msglog.ErrNotFound) {
			t.Fatalf("get missing: %v", err)
		}
		byID, _ := msglog.List(ctx, db, msglog.Filter{MessageID: "msg-000003"})
		if len(byID) != 1 || byID[0].Seq != 4 {
			t.Fatalf("by message id: %+v", byID)
		}
		counts, err := msglog.Counts(ctx, db, msglog.Filter{Gateway: "gw1", From: time.Now().Add(-time.Hour)})
		if err != nil || len(counts) != 3 || counts[0].Requests != 3 {
			t.Fatalf("counts: %+v %v", counts, err)
		}
		failed := int64(0)
		for _, c := range counts {
			failed += c.Failed
		}
		if failed != 1 {
			t.Fatalf("failed: %+v", counts)
		}
	})
}

// TestVerifyWhileLogging verifies a log that is being appended to and
// sealed at the same time: records and batches that appear during the walk
// are not faults.
func TestVerifyWhileLogging(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		l := h.start(t, db, "gw1", msglog.Options{BatchInterval: 2 * time.Millisecond, BatchMax: 7})
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := l.Append(ctx, rec(g*100000+i)); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		for runs := 0; runs < 10 || l.Stats().Committed < 1000; runs++ {
			if rep := verify(t, db, "gw1", h.ca.Cert); !rep.OK {
				t.Errorf("live log: %+v", rep)
				break
			}
		}
		close(stop)
		wg.Wait()
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if rep := verify(t, db, "gw1", h.ca.Cert); !rep.OK || rep.Unsealed != 0 || rep.Records < 100 {
			t.Fatalf("after: %+v", rep)
		}
	})
}

// TestTwoLogsForOneGateway runs two logs for the same gateway on one
// database, as a misconfigured cluster would: the chain never forks, and
// every Append that succeeded is in it. (On PostgreSQL, the writer that
// loses the race for the head may fail some Appends while the other stays
// busy; on SQLite the shared write lock lets both through.)
func TestTwoLogsForOneGateway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		migrate(t, db)
		h := newHub(t)
		opts := msglog.Options{BatchInterval: 3 * time.Millisecond, BatchMax: 5}
		logs := []*msglog.Log{h.start(t, db, "gw1", opts), h.start(t, db, "gw1", opts)}
		var wg sync.WaitGroup
		var ok, failed atomic.Int64
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 30 {
					if err := logs[g%2].Append(ctx, rec(g*1000+i)); err != nil {
						if !store.IsUniqueViolation(err) {
							t.Error(err)
						}
						failed.Add(1)
						continue
					}
					ok.Add(1)
				}
			}()
		}
		wg.Wait()
		for _, l := range logs {
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if db.Dialect() == store.SQLite && failed.Load() != 0 {
			t.Errorf("%d appends failed on SQLite", failed.Load())
		}
		if rep := verify(t, db, "gw1", h.ca.Cert); !rep.OK || rep.Records != int(ok.Load()) || rep.Unsealed != 0 {
			t.Fatalf("two writers (%d appended, %d failed): %+v", ok.Load(), failed.Load(), rep)
		}
	})
}
