package dossier

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/fault"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/workdays"
	"github.com/vngov/vngov/internal/procedure"
)

var ict = time.FixedZone("ICT", 7*3600)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func at(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ict) }

// migrate creates the platform's, the procedures database's and the
// engine's tables and publishes the seed procedures.
func migrate(t testing.TB, db *store.DB) *procedure.Service {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "procedure", procedure.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "dossier", Migrations()); err != nil {
		t.Fatal(err)
	}
	ps := procedure.New(db)
	if err := ps.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return ps
}

// setup returns an engine whose clock the test sets.
func setup(t testing.TB, db *store.DB, now time.Time) (*Service, *clock) {
	t.Helper()
	ps := migrate(t, db)
	s := New(db, ps, workdays.New())
	c := &clock{t: now}
	s.now = c.Now
	return s, c
}

const agencyA = "000.00.92.H26"
const agencyB = "000.00.00.H26"
const citizen = "001089012345"

var (
	receptionist = Official{ID: "tiepnhan01", Agency: agencyA, Roles: []string{RoleReceptionist}}
	specialist   = Official{ID: "chuyenvien01", Agency: agencyA, Roles: []string{RoleSpecialist}}
	leader       = Official{ID: "lanhdao01", Agency: agencyA, Roles: []string{RoleLeader}}
	outsider     = Official{ID: "tiepnhan99", Agency: agencyB, Roles: []string{RoleReceptionist, RoleSpecialist, RoleLeader}}
)

// householdForm is a complete e-form of 1.001612 (3 working days).
func householdForm(applicant string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{
		"applicant_id": applicant, "applicant_full_name": "Trần Thị Hoa", "applicant_birth_date": "1990-03-04",
		"applicant_permanent_commune": "00004", "applicant_permanent_street": "Số 1 phố Đội Cấn", "applicant_email": "hoa@example.vn",
		"business_name": "Hộ kinh doanh Hoa Sen", "business_address_commune": "00004", "business_address_street": "Số 3 phố Đội Cấn",
		"business_lines": []string{"5610", "4722"}, "capital": 50000000, "employees": 2,
	})
	return b
}

func createHousehold(t testing.TB, s *Service, key string) Dossier {
	t.Helper()
	d, _, err := s.Create(context.Background(), CreateRequest{Procedure: "1.001612", Agency: agencyA, Form: householdForm(citizen), ApplicantID: citizen, IdempotencyKey: key})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return d
}

func act(t testing.TB, s *Service, who Official, d Dossier, action, note string) Dossier {
	t.Helper()
	out, err := s.Act(context.Background(), who, d.Code, action, note, d.Version)
	if err != nil {
		t.Fatalf("%s %s by %s: %v", action, d.Code, who.ID, err)
	}
	return out
}

func wantKind(t testing.TB, err error, k fault.Kind, code string) {
	t.Helper()
	f := fault.As(err)
	if f == nil || f.Kind != k || (code != "" && f.Code != code) {
		t.Fatalf("want fault kind %d %s, got %v", k, code, err)
	}
}

func countRows(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
