package dossier

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/vngov/vngov/internal/platform/loadgen"
	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

// TestBulkLoadAndInbox checks the benchmark's bulk path on both databases:
// the codes it gives follow the daily sequences that Create continues, and
// the inbox reads what it wrote.
func TestBulkLoadAndInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := setup(t, db, at(2026, 3, 20, 10, 0))
		agencies := benchAgencies(3)
		n, err := s.bulkLoad(ctx, agencies, 3000, 7)
		if err != nil || n != 3000 {
			t.Fatalf("bulk: %d %v", n, err)
		}
		if c := countRows(t, db, "SELECT COUNT(DISTINCT code) FROM dos_dossier"); c != 3000 {
			t.Fatalf("distinct codes %d", c)
		}
		var maxSeq int
		db.QueryRow(ctx, "SELECT last FROM dos_sequence WHERE agency = ? AND day = ?", agencies[0], "260320").Scan(&maxSeq)
		d, _, err := s.Create(ctx, CreateRequest{Procedure: "1.001612", Agency: agencies[0], Form: householdForm(citizen), ApplicantID: citizen})
		if err != nil {
			t.Fatal(err)
		}
		if want := agencies[0] + "-260320-" + pad4(maxSeq+1); d.Code != want {
			t.Fatalf("code after bulk %s, want %s", d.Code, want)
		}
		total := 0
		for _, a := range agencies {
			for _, role := range []string{RoleReceptionist, RoleSpecialist, RoleLeader} {
				p, err := s.Inbox(ctx, a, role, FilterAll, 50, 0)
				if err != nil {
					t.Fatal(err)
				}
				total += p.Counts.All
				if p.Counts.Overdue == 0 || p.Counts.New == 0 || len(p.Items) == 0 {
					t.Fatalf("%s %s: %+v", a, role, p.Counts)
				}
				for i := 1; i < len(p.Items); i++ {
					if p.Items[i].DueAt.Before(p.Items[i-1].DueAt) {
						t.Fatal("inbox not in due order")
					}
				}
			}
		}
		if active := countRows(t, db, "SELECT COUNT(*) FROM dos_dossier WHERE role <> ''"); total != active {
			t.Fatalf("queues hold %d, active %d", total, active)
		}
	})
}

func pad4(n int) string { return fmt.Sprintf("%04d", n) }

// TestBench runs `vngov bench dossier` when VNGOV_DOSSIER_BENCH is set (on
// PostgreSQL when it holds a postgres:// URL, else SQLite), with
// VNGOV_DOSSIER_BENCH_DURATION per phase (default 10s).
func TestBench(t *testing.T) {
	v := os.Getenv("VNGOV_DOSSIER_BENCH")
	if v == "" {
		t.Skip("set VNGOV_DOSSIER_BENCH=1 (or a postgres:// URL) to run the benchmark")
	}
	d, _ := time.ParseDuration(os.Getenv("VNGOV_DOSSIER_BENCH_DURATION"))
	if d == 0 {
		d = 10 * time.Second
	}
	opt := loadgen.Options{Duration: d, Concurrency: 32}
	if store.IsPostgresURL(v) {
		opt.DatabaseURL = v
	}
	line, err := Bench(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(line)
	println(line)
}
