package dossier

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestGroupCommitIsolatesWrites: on SQLite concurrent transitions share
// transactions; one that fails after writing its history row is rolled
// back alone, the others commit, and every caller hears its own outcome.
func TestGroupCommitIsolatesWrites(t *testing.T) {
	db := storetest.OpenSQLite(t)
	ctx := context.Background()
	s, _ := setup(t, db, at(2026, 3, 2, 9, 0))
	const n = 60
	ds := make([]Dossier, n)
	for i := range ds {
		ds[i] = createHousehold(t, s, "")
	}
	var calls atomic.Int64
	s.hook = func(string) error {
		if calls.Add(1)%3 == 0 {
			return errors.New("injected failure")
		}
		return nil
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = s.Act(ctx, receptionist, ds[i].Code, ActionAccept, "", 1)
		}()
	}
	close(start)
	wg.Wait()
	s.hook = nil
	failed := 0
	for i, d := range ds {
		got, err := s.Get(ctx, d.Code)
		if err != nil {
			t.Fatal(err)
		}
		accepts := countRows(t, db, "SELECT COUNT(*) FROM dos_history WHERE code = ? AND action = 'accept'", d.Code)
		events := countRows(t, db, "SELECT COUNT(*) FROM bus_outbox WHERE subject = ? AND type = 'dossier.accept'", d.Code)
		if errs[i] != nil {
			failed++
			if got.Status != StatusNew || got.Version != 1 || accepts != 0 || events != 0 {
				t.Fatalf("%s failed but left %+v, %d rows, %d events", d.Code, got.Status, accepts, events)
			}
		} else if got.Status != StatusProcessing || got.Version != 2 || accepts != 1 || events != 1 {
			t.Fatalf("%s succeeded but is %+v, %d rows, %d events", d.Code, got.Status, accepts, events)
		}
	}
	if failed == 0 || failed == n {
		t.Fatalf("%d of %d failed: the injection did not bite", failed, n)
	}
	if s.batch.Largest() < 2 {
		t.Fatalf("no two writes ever shared a transaction (largest batch %d)", s.batch.Largest())
	}
	t.Logf("%d of %d failed; largest batch %d", failed, n, s.batch.Largest())
}
