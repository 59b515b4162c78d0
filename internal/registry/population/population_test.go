package population_test

import (
	"context"
	"testing"

	"github.com/vngov/vngov/internal/catalog"
	"github.com/vngov/vngov/internal/exchange"
	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
	"github.com/vngov/vngov/internal/registry"
	"github.com/vngov/vngov/internal/registry/population"
)

func setup(t *testing.T, db *store.DB) *population.Service {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "catalog", catalog.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "registry", registry.Migrations()); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(db, nil)
	if err := cat.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return population.New(db, registry.CatalogCodes{Catalog: cat})
}

var clerk = audit.Actor{Subject: "clerk-1", SourceIP: "127.0.0.1"}

func father() population.Person {
	return population.Person{ID: "001060012345", FullName: "Nguyễn Văn An", BirthDate: "1960-03-15", Sex: "male", Ethnicity: "01", Religion: "00",
		BirthPlace: "00004", HomeTown: "00004", Permanent: population.Address{Commune: "00004", Street: "Số 1 phố Quán Thánh"}, MaritalStatus: "married", Status: "living"}
}

func TestCreateReadVerifyUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := setup(t, db)
		f, err := s.Create(ctx, clerk, father(), "Khai sinh")
		if err != nil {
			t.Fatal(err)
		}
		child := population.Person{ID: "001290000001", FullName: "Nguyễn Thị Bình", BirthDate: "1990", Sex: "female", Ethnicity: "01", Religion: "00",
			BirthPlace: "00013", HomeTown: "00004", Permanent: population.Address{Commune: "00004", Street: "Số 1 phố Quán Thánh"}, FatherID: f.ID,
			HouseholdID: f.HouseholdID, RelationToHead: "con", MaritalStatus: "single"}
		// 001 Hà Nội, 3 = female born 2000s: 1990 does not match.
		_, err = s.Create(ctx, clerk, child, "")
		if fe := fault.As(err); fe == nil || fe.Kind != fault.Invalid || fe.Fields[0].Field != "id" {
			t.Fatalf("inconsistent id: %v", err)
		}
		child.ID = "001190000001"
		c, err := s.Create(ctx, clerk, child, "Khai sinh")
		if err != nil {
			t.Fatal(err)
		}
		p := registry.Purpose{Client: "VN-TEST/GOV/000.00.00.H26/MOTCUA", UserID: "VN001080000099", Issue: "000.00.92.H26-261123-0001", Service: population.ServicePerson}
		got, err := s.Get(ctx, c.ID, p)
		if err != nil || got.FullName != "Nguyễn Thị Bình" || got.Version != 1 {
			t.Fatalf("get: %+v %v", got, err)
		}
		v, err := s.Verify(ctx, population.VerifyRequest{ID: c.ID, FullName: "nguyen thi binh", BirthDate: "1990", Sex: "male"}, p)
		if err != nil || !v.Found || !v.Matches["full_name"] || !v.Matches["birth_date"] || v.Matches["sex"] || v.Match {
			t.Fatalf("verify: %+v %v", v, err)
		}
		rel, err := s.RelationsOf(ctx, f.ID, p)
		if err != nil || len(rel.Children) != 1 || rel.Children[0].ID != c.ID {
			t.Fatalf("relations: %+v %v", rel, err)
		}
		h, err := s.HouseholdOf(ctx, c.ID, p)
		if err != nil || len(h.Members) != 2 || h.HeadID != f.ID {
			t.Fatalf("household: %+v %v", h, err)
		}
		log, _ := s.AccessLogOf(ctx, c.ID, 0, 0)
		if len(log) < 3 || log[len(log)-1].Issue != p.Issue || log[len(log)-1].Client != p.Client {
			t.Fatalf("access log: %+v", log)
		}

		// Two clerks edit version 1; the second is refused, nothing lost.
		a, b := got, got
		a.Permanent = population.Address{Commune: "00008", Street: "Số 5 phố Hàng Bông"}
		b.MaritalStatus = "married"
		if _, err := s.Update(ctx, clerk, a, 1, "Chuyển hộ khẩu"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Update(ctx, clerk, b, 1, "Kết hôn"); !fault.Is(err, fault.Conflict) {
			t.Fatalf("concurrent edit: %v", err)
		}
		hist, _ := s.History(ctx, c.ID)
		if len(hist) != 2 || hist[0].Person.Permanent.Commune != "00008" || hist[1].Person.Permanent.Commune != "00004" || hist[0].Reason != "Chuyển hộ khẩu" {
			t.Fatalf("history: %+v", hist)
		}
		chs, _ := registry.Changes(ctx, db, population.Name, 0, []string{"residence-changed"}, 10)
		if len(chs) != 1 || chs[0].Subject != c.ID || len(chs[0].Fields) != 1 || chs[0].Fields[0] != "permanent_residence" {
			t.Fatalf("changes: %+v", chs)
		}
		rep, _ := audit.Verify(ctx, db)
		if !rep.OK {
			t.Fatalf("audit: %+v", rep)
		}
	})
}

func TestValidationOneMessagePerField(t *testing.T) {
	ctx := context.Background()
	s := setup(t, storetest.OpenSQLite(t))
	f, _ := s.Create(ctx, clerk, father(), "")
	bad := population.Person{ID: "001060012345", FullName: "X2", BirthDate: "2099-01-01", Sex: "x", Ethnicity: "99", Religion: "00", Nationality: "ZZ",
		BirthPlace: "99999", HomeTown: "00004", Permanent: population.Address{Commune: "00013"}, MaritalStatus: "?", Status: "deceased", DeathDate: "1950-01-01", FatherID: f.ID}
	_, err := s.Create(ctx, clerk, bad, "")
	fe := fault.As(err)
	if fe == nil || fe.Kind != fault.Invalid {
		t.Fatalf("%v", err)
	}
	seen := map[string]bool{}
	for _, f := range fe.Fields {
		seen[f.Field] = true
		if f.Message == "" {
			t.Errorf("%s: no Vietnamese message", f.Field)
		}
	}
	for _, want := range []string{"id", "full_name", "birth_date", "sex", "ethnicity", "nationality", "birth_registration_place", "permanent_residence.commune", "marital_status", "death_date"} {
		if !seen[want] {
			t.Errorf("no error for %s (got %v)", want, fe.Fields)
		}
	}
	// A child older than the parent.
	kid := father()
	kid.ID, kid.BirthDate, kid.FatherID = "001055012345", "1955-01-01", f.ID
	_, err = s.Create(ctx, clerk, kid, "")
	if fe := fault.As(err); fe == nil || fe.Fields[0].Field != "father_id" {
		t.Fatalf("child older than parent: %v", err)
	}
}

func TestOpenAPIDescribesEveryService(t *testing.T) {
	for _, s := range population.Services() {
		doc := population.OpenAPI(s)
		if doc == "" {
			t.Fatalf("%s: no description", s)
		}
		if _, eps, err := exchange.ParseOpenAPI(doc); err != nil || len(eps) != 1 {
			t.Fatalf("%s: %v %v", s, eps, err)
		}
	}
}
