package procedure

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

func seeded(t *testing.T, db *store.DB) *Service {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "procedure", Migrations()); err != nil {
		t.Fatal(err)
	}
	s := New(db)
	if err := s.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSeedSearchAndVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seeded(t, db)
		all, total, err := s.Search(ctx, Query{})
		if err != nil || total < 8 || len(all) < 8 {
			t.Fatalf("seeded: %d %v", total, err)
		}
		for _, q := range []string{"khai sinh", "KHAI SINH", "Đăng ký khai sinh"} {
			hits, _, _ := s.Search(ctx, Query{Q: q})
			if len(hits) == 0 || hits[0].Code != "1.001193" {
				t.Fatalf("%q: %+v", q, hits)
			}
		}
		p, err := s.Get(ctx, "1.001193")
		if err != nil || p.Version != 1 || len(p.Workflow.Steps) == 0 || len(p.Form) == 0 {
			t.Fatalf("get: %+v %v", p.Code, err)
		}
		// A new version; the old one stays readable for dossiers filed under it.
		p.TimeLimit += 1
		if _, err := s.Publish(ctx, audit.Actor{Subject: "admin"}, p, "Sửa thời hạn"); err != nil {
			t.Fatal(err)
		}
		cur, _ := s.Get(ctx, "1.001193")
		old, err := s.GetVersion(ctx, "1.001193", 1)
		if err != nil || cur.Version != 2 || old.TimeLimit != cur.TimeLimit-1 {
			t.Fatalf("versions: cur %d old %+v %v", cur.Version, old.TimeLimit, err)
		}
		// Seeding again publishes nothing new.
		if err := s.Seed(ctx); err != nil {
			t.Fatal(err)
		}
		if again, _ := s.Get(ctx, "1.001193"); again.Version != 2 {
			t.Fatalf("reseed changed the version: %d", again.Version)
		}
		var events int
		db.QueryRow(ctx, "SELECT COUNT(*) FROM bus_outbox WHERE type = ?", EventPublished).Scan(&events)
		if events != total+1 {
			t.Fatalf("events %d, want %d", events, total+1)
		}
	})
}

func TestValidateNamesEachProblem(t *testing.T) {
	s := seeded(t, storetest.OpenSQLite(t))
	p, _ := s.Get(context.Background(), "1.001193")
	p.Code, p.Name, p.TimeLimit, p.OnlineLevel, p.Assurance = "x", "", 0, "maybe", "none"
	p.Form = json.RawMessage(`[1]`)
	p.Workflow.Steps = append(p.Workflow.Steps, Step{Code: p.Workflow.Steps[0].Code, Role: "janitor"})
	_, err := s.Publish(context.Background(), audit.Actor{Subject: "admin"}, p, "")
	f := fault.As(err)
	if f == nil || f.Kind != fault.Invalid {
		t.Fatalf("%v", err)
	}
	seen := map[string]bool{}
	for _, fe := range f.Fields {
		seen[fe.Code] = true
	}
	for _, want := range []string{"code.format", "name.required", "time_limit.range", "online_level.value", "assurance.value", "form.schema", "step.code", "step.role"} {
		if !seen[want] {
			t.Errorf("no %s among %v", want, f.Fields)
		}
	}
}
