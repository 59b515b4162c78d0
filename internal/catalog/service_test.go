package catalog

import (
	"context"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// newService returns a seeded service on db, with "today" fixed.
func newService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "catalog", Migrations()); err != nil {
		t.Fatal(err)
	}
	s := New(db, nil)
	s.now = func() time.Time { return time.Date(2026, 11, 23, 10, 0, 0, 0, vnZone) }
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSeededAdminUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		count := func(q ItemQuery) int {
			t.Helper()
			p, err := s.Items(ctx, "admin-units", q)
			if err != nil {
				t.Fatal(err)
			}
			return p.Total
		}
		if n := count(ItemQuery{Level: "province"}); n != 34 {
			t.Errorf("provinces today = %d, want 34", n)
		}
		if n := count(ItemQuery{Level: "commune"}); n != 3321 {
			t.Errorf("communes today = %d, want 3321", n)
		}
		if n := count(ItemQuery{Level: "province", At: "2025-06-01"}); n != 63 {
			t.Errorf("provinces on 2025-06-01 = %d, want 63", n)
		}
		if n := count(ItemQuery{Level: "commune", At: "2025-06-01"}); n < 10000 {
			t.Errorf("communes on 2025-06-01 = %d, want the ~10,000 old ones", n)
		}
		// Hà Nội's communes.
		if n := count(ItemQuery{Parent: "01"}); n < 100 {
			t.Errorf("Hà Nội communes = %d", n)
		}
		// Seeding again adds nothing.
		if err := s.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(ItemQuery{Level: "province"}); n != 34 {
			t.Errorf("after reseed: %d provinces", n)
		}
		vs, _ := s.Versions(ctx, "admin-units")
		if len(vs) != 1 {
			t.Errorf("versions after reseed = %d", len(vs))
		}
	})
}

func TestSearchIgnoresDiacritics(t *testing.T) {
	s := newService(t, storetest.OpenSQLite(t))
	ctx := context.Background()
	for _, q := range []string{"ha noi", "HA NOI", "Hà Nội"} {
		p, err := s.Items(ctx, "admin-units", ItemQuery{Q: q, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if p.Total == 0 || p.Items[0].Code != "01" {
			t.Errorf("%q: first hit %+v of %d, want 01 Thành phố Hà Nội", q, p.Items, p.Total)
		}
	}
	// Other names of ethnic groups are searchable.
	p, _ := s.Items(ctx, "ethnic-groups", ItemQuery{Q: "viet"})
	if p.Total == 0 || p.Items[0].Code != "01" {
		t.Errorf("ethnic search 'viet': %+v", p.Items)
	}
	p, _ = s.Items(ctx, "countries", ItemQuery{Q: "VNM"})
	if p.Total != 1 || p.Items[0].Code != "VN" {
		t.Errorf("country by alpha-3: %+v", p.Items)
	}
}

func TestTranslateOldCommune(t *testing.T) {
	s := newService(t, storetest.OpenSQLite(t))
	ctx := context.Background()
	// Phường Quán Thánh (00013) went whole into Phường Ba Đình (00004).
	tr, err := s.Translate(ctx, "admin-units", "00013", "")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Current || len(tr.To) != 1 || tr.To[0].Code != "00004" || tr.To[0].Type != "full" || tr.From.Name != "Phường Quán Thánh" {
		t.Fatalf("00013: %+v", tr)
	}
	// A code the new unit kept: the old record means the old ward.
	tr, _ = s.Translate(ctx, "admin-units", "00004", "")
	if tr.From.Name != "Phường Trúc Bạch" || tr.To[0].Name != "Phường Ba Đình" {
		t.Fatalf("00004: %+v", tr)
	}
	// An old province merged into another.
	tr, _ = s.Translate(ctx, "admin-units", "02", "")
	if len(tr.To) != 1 || tr.To[0].Code != "08" {
		t.Fatalf("02 Hà Giang: %+v", tr)
	}
	// Split communes lead to several partial successors.
	tr, _ = s.Translate(ctx, "admin-units", "00016", "")
	if len(tr.To) < 2 || tr.To[0].Type != "partial" {
		t.Fatalf("00016: %+v", tr)
	}
	// A whole commune that went into a unit whose code an old commune also
	// had: the walk stops at today's unit.
	tr, _ = s.Translate(ctx, "admin-units", "00031", "")
	if len(tr.To) != 1 || tr.To[0].Code != "00025" || tr.To[0].Type != "full" {
		t.Fatalf("00031: %+v", tr.To)
	}
	// Before the merger the old code is current.
	tr, _ = s.Translate(ctx, "admin-units", "00013", "2025-06-01")
	if !tr.Current {
		t.Fatalf("00013 on 2025-06-01: %+v", tr)
	}
	_, err = s.Translate(ctx, "admin-units", "99999", "")
	if !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown code: %v", err)
	}
}

func TestPublishFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := newService(t, db)
		who := audit.Actor{Subject: "admin", SourceIP: "127.0.0.1"}
		if _, err := s.CreateList(ctx, who, List{Code: "vsic", Name: "Ngành kinh tế", Owner: "000.00.00.G12"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateList(ctx, who, List{Code: "vsic", Name: "x", Owner: "y"}); !fault.Is(err, fault.Conflict) {
			t.Fatalf("duplicate list: %v", err)
		}
		if _, err := s.Publish(ctx, who, "vsic", ""); !fault.Is(err, fault.Conflict) {
			t.Fatalf("empty publish: %v", err)
		}
		if _, err := s.StageItem(ctx, who, "vsic", Item{Code: "A", Name: "Nông nghiệp", ValidFrom: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StageItem(ctx, who, "vsic", Item{Code: "01", Name: "Trồng trọt", Parent: "A", ValidFrom: "2026-01-01"}); err != nil {
			t.Fatal(err)
		}
		_, err := s.StageItem(ctx, who, "vsic", Item{Code: "bad code", Name: "", Parent: "ZZ", ValidFrom: "2026-13-01"})
		if f := fault.As(err); f == nil || f.Kind != fault.Invalid || len(f.Fields) != 3 {
			t.Fatalf("bad item: %+v", err)
		}
		v, err := s.Publish(ctx, who, "vsic", "first")
		if err != nil || v.Version != 1 || v.Changes != 2 {
			t.Fatalf("publish: %+v %v", v, err)
		}
		it, err := s.Item(ctx, "vsic", "01", "")
		if err != nil || it.Parent != "A" {
			t.Fatalf("published item: %+v %v", it, err)
		}
		// Rename from a later date keeps the old version.
		s.StageItem(ctx, who, "vsic", Item{Code: "01", Name: "Trồng trọt và chăn nuôi", Parent: "A", ValidFrom: "2026-06-01"})
		s.StageRetire(ctx, who, "vsic", Retire{Code: "A", ValidTo: "2026-12-31", ReplacedBy: []Successor{{Code: "01", Type: "partial"}}})
		if _, err := s.Publish(ctx, who, "vsic", "second"); err != nil {
			t.Fatal(err)
		}
		h, _ := s.History(ctx, "vsic", "01")
		if len(h) != 2 || h[0].ValidTo != "2026-05-31" || h[1].Name != "Trồng trọt và chăn nuôi" {
			t.Fatalf("history: %+v", h)
		}
		old, _ := s.Item(ctx, "vsic", "01", "2026-02-01")
		if old.Name != "Trồng trọt" {
			t.Fatalf("old view: %+v", old)
		}
		// Two publishes, two events (plus the seeded lists' events).
		n, _ := bus.Pending(ctx, db)
		var seeded int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE type = ? AND subject = ?", EventChanged, "vsic").Scan(&seeded)
		if seeded != 2 || n < 2 {
			t.Fatalf("events for vsic = %d (pending %d), want 2", seeded, n)
		}
		rep, err := audit.Verify(ctx, db)
		if err != nil || !rep.OK || rep.Rows < 8 {
			t.Fatalf("audit: %+v %v", rep, err)
		}
	})
}

func TestQueryValidation(t *testing.T) {
	s := newService(t, storetest.OpenSQLite(t))
	_, err := s.Items(context.Background(), "admin-units", ItemQuery{At: "2025-02-30", Limit: 5000, Offset: -1})
	if f := fault.As(err); f == nil || len(f.Fields) != 3 {
		t.Fatalf("want 3 field errors, got %v", err)
	}
	_, err = s.Items(context.Background(), "nope", ItemQuery{})
	if !fault.Is(err, fault.NotFound) {
		t.Fatalf("unknown list: %v", err)
	}
}
