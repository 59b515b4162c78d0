package monitor

import (
	"context"
	"reflect"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestRebuildEqualsLive folds a few thousand synthetic events (the
// benchmark's generator: supplements, refusals, withdrawals, open dossiers
// across a year's month ends) through the live consumer, then rebuilds
// from the same log: the tables and the indices must not change.
func TestRebuildEqualsLive(t *testing.T) {
	g := newBenchGen(7)
	evs := g.events(3000)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, g.start.AddDate(1, 0, 10))
		for _, ev := range evs {
			if err := s.Apply(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		periods := []string{"2025-12", "2026-03", "2026-06", "2026-Q2", "2026-Q4", "2026", g.lastMonth()}
		indices := func() []Index {
			var out []Index
			for _, p := range periods {
				for _, a := range []string{"", "000.00.00.H26", "000.00.92.H26", "000.00.00.H99"} {
					ix, err := s.IndexOf(ctx, a, p)
					if err != nil {
						t.Fatal(err)
					}
					ix.MeasuredAt = ix.MeasuredAt.UTC()
					out = append(out, ix)
				}
			}
			return out
		}
		live, liveIx := snapshotTables(t, db), indices()
		if len(live["mon_open"]) == 0 {
			t.Fatal("no dossier crossed a month end open: the data does not test the month-end counts")
		}
		s.UseEvents(&logSource{evs: evs})
		if _, err := s.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		rebuilt, rebuiltIx := snapshotTables(t, db), indices()
		for table := range live {
			if !reflect.DeepEqual(live[table], rebuilt[table]) {
				t.Errorf("%s: %d rows live, %d rebuilt, or they differ", table, len(live[table]), len(rebuilt[table]))
			}
		}
		if !reflect.DeepEqual(liveIx, rebuiltIx) {
			t.Errorf("the indices differ after the rebuild")
		}
	})
}

// TestConcurrentApply delivers every event four times at once (as a
// redelivery racing a rebuild's catch-up would): the tables must be those
// of one delivery.
func TestConcurrentApply(t *testing.T) {
	g := newBenchGen(11)
	evs := g.events(600)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		once := newTestService(t, db, g.start.AddDate(1, 0, 10))
		for _, ev := range evs {
			if err := once.Apply(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		want := snapshotTables(t, db)
		for _, table := range []string{"mon_dossier", "mon_month", "mon_open"} {
			if _, err := db.Exec(ctx, "DELETE FROM "+table); err != nil {
				t.Fatal(err)
			}
		}
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				for _, ev := range evs {
					if err := once.Apply(ctx, ev); err != nil {
						errs <- err
						return
					}
				}
				errs <- nil
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		got := snapshotTables(t, db)
		for table := range want {
			if !reflect.DeepEqual(want[table], got[table]) {
				t.Errorf("%s differs after concurrent deliveries", table)
			}
		}
	})
}
