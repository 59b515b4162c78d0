package result

import (
	"context"
	"crypto/x509"
	"sync"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/audit"
	"github.com/vngov/vngov/internal/platform/bus"
	"github.com/vngov/vngov/internal/platform/store"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func migrate(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	if err := db.Migrate(ctx, "bus", bus.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "audit", audit.Migrations()); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, "result", Migrations()); err != nil {
		t.Fatal(err)
	}
}

// newService returns a service over a migrated db whose clock the test
// sets.
func newService(t testing.TB, db *store.DB) (*Service, *clock) {
	t.Helper()
	migrate(t, db)
	s := New(db, "http://portal.test")
	c := &clock{t: time.Now().In(vnZone).Truncate(time.Second)}
	s.now = c.Now
	return s, c
}

const (
	agency  = "000.00.92.H26"
	citizen = "001089012345"
)

func birthExtract(dossier string) IssueRequest {
	return IssueRequest{Agency: agency, AgencyName: "Ủy ban nhân dân Phường Ba Đình", DocType: "TLKS", Title: "Trích lục khai sinh",
		HolderID: citizen, HolderName: "Nguyễn Văn Minh", DossierCode: dossier, Procedure: "1.001193 Đăng ký khai sinh",
		Fields: []Field{{"Họ, chữ đệm và tên", "Nguyễn Thị Bình An"}, {"Ngày, tháng, năm sinh", "20/01/2026"}, {"Giới tính", "Nữ"},
			{"Nơi sinh", "Bệnh viện Phụ sản Hà Nội, Phường Ba Đình, Thành phố Hà Nội"}},
		IssuedBy: "Ủy ban nhân dân Phường Ba Đình"}
}

func countRows(t testing.TB, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func mustParse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
