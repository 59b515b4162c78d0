package monitor

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// goldenNow is when the golden cases are measured: the middle of December
// 2026, so October and November are over and the quarter and the year run.
var goldenNow = time.Date(2026, 12, 15, 12, 0, 0, 0, Zone)

type goldenCase struct {
	Agency     string                `json:"agency"`
	Period     string                `json:"period"`
	Total      *float64              `json:"total"`
	Groups     map[string]float64    `json:"groups"`
	Indicators map[string][3]float64 `json:"indicators"` // score, numerator, denominator
}

func loadGolden(t *testing.T) []goldenCase {
	t.Helper()
	b, err := os.ReadFile("testdata/golden/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct{ Cases []goldenCase }
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g.Cases
}

// checkGolden compares the service's indices with the hand-computed ones.
func checkGolden(t *testing.T, s *Service, cases []goldenCase) {
	t.Helper()
	ctx := context.Background()
	for _, c := range cases {
		ix, err := s.IndexOf(ctx, c.Agency, c.Period)
		if err != nil {
			t.Fatalf("%s %s: %v", c.Agency, c.Period, err)
		}
		where := c.Agency + " " + c.Period
		switch {
		case c.Total == nil && ix.Total != nil:
			t.Errorf("%s: total = %v, want none", where, *ix.Total)
			continue
		case c.Total == nil:
			if ix.Band != "none" {
				t.Errorf("%s: band = %s, want none", where, ix.Band)
			}
			continue
		case ix.Total == nil:
			t.Errorf("%s: no total, want %v", where, *c.Total)
			continue
		case math.Abs(*ix.Total-*c.Total) > 0.005:
			t.Errorf("%s: total = %v, want %v", where, *ix.Total, *c.Total)
		}
		for _, g := range ix.Groups {
			if want, ok := c.Groups[g.Code]; ok && math.Abs(g.Score-want) > 0.005 {
				t.Errorf("%s: group %s = %v, want %v", where, g.Code, g.Score, want)
			}
			for _, in := range g.Indicators {
				want, ok := c.Indicators[in.Code]
				if !ok {
					continue
				}
				if math.Abs(in.Score-want[0]) > 0.005 || float64(in.Numerator) != want[1] || float64(in.Denominator) != want[2] {
					t.Errorf("%s: %s = %v (%d/%d), want %v (%v/%v)", where, in.Code, in.Score, in.Numerator, in.Denominator, want[0], want[1], want[2])
				}
			}
		}
	}
}

// TestGolden folds the golden events through the live consumer, one
// transaction each, and checks every hand-computed score; then rebuilds
// from the same log and checks that the tables and the scores are the
// same.
func TestGolden(t *testing.T) {
	cases := loadGolden(t)
	evs := readEvents(t, "testdata/golden/events.jsonl")
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newTestService(t, db, goldenNow)
		for _, ev := range evs {
			if err := s.Apply(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		// Delivering everything again changes nothing.
		for _, ev := range evs[:10] {
			if err := s.Apply(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
		checkGolden(t, s, cases)
		live := snapshotTables(t, db)

		s.UseEvents(&logSource{evs: evs})
		res, err := s.Rebuild(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if res.Events != int64(len(evs)) || res.Dossiers != 12 {
			t.Errorf("rebuild read %d events into %d dossiers, want %d into 12", res.Events, res.Dossiers, len(evs))
		}
		rebuilt := snapshotTables(t, db)
		if !reflect.DeepEqual(live, rebuilt) {
			for table := range live {
				if !reflect.DeepEqual(live[table], rebuilt[table]) {
					t.Errorf("%s differs after the rebuild:\nlive:    %q\nrebuilt: %q", table, live[table], rebuilt[table])
				}
			}
		}
		checkGolden(t, s, cases)
	})
}

func snapshotTables(t *testing.T, db *store.DB) map[string][]string {
	return map[string][]string{
		"mon_dossier": tableRows(t, db, "mon_dossier", recordColumns),
		"mon_month":   tableRows(t, db, "mon_month", bucketColumns),
		"mon_open":    tableRows(t, db, "mon_open", "agency, l1, month, open_count, late_count"),
	}
}
