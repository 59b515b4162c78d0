package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
	"github.com/vngov/vngov/internal/platform/store/storetest"
)

var migrations = os.DirFS("testdata/migrations")

// TestConformance is the store suite: it runs on SQLite always and on
// PostgreSQL when VNGOV_TEST_POSTGRES is set.
func TestConformance(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.Migrate(ctx, "test", migrations); err != nil {
			t.Fatal(err)
		}
		// Migrating again is a no-op.
		if err := db.Migrate(ctx, "test", migrations); err != nil {
			t.Fatal(err)
		}

		t.Run("insert returning and placeholders", func(t *testing.T) {
			var id int64
			err := db.Tx(ctx, func(tx *store.Tx) error {
				return tx.QueryRow(ctx, "INSERT INTO thing (name, note, raw, created_at, size) VALUES (?, ?, ?, ?, ?) RETURNING id",
					"a?b", "it's", []byte{0, 1, 2}, 1, 3).Scan(&id)
			})
			if err != nil || id == 0 {
				t.Fatalf("insert: id=%d err=%v", id, err)
			}
			var name, note string
			var raw []byte
			if err := db.QueryRow(ctx, "SELECT name, note, raw FROM thing WHERE id = ? AND name <> 'x?y'", id).Scan(&name, &note, &raw); err != nil {
				t.Fatal(err)
			}
			if name != "a?b" || note != "it's" || len(raw) != 3 || raw[2] != 2 {
				t.Fatalf("round trip: %q %q %v", name, note, raw)
			}
		})

		t.Run("rollback on error leaves nothing", func(t *testing.T) {
			boom := errors.New("boom")
			err := db.Tx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, "INSERT INTO thing (name, created_at) VALUES (?, ?)", "rolled", 2); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("want boom, got %v", err)
			}
			var n int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM thing WHERE name = ?", "rolled").Scan(&n)
			if n != 0 {
				t.Fatalf("rolled-back row is visible")
			}
		})

		t.Run("unique violation is recognised", func(t *testing.T) {
			err := db.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.Exec(ctx, "INSERT INTO thing (name, created_at) VALUES (?, ?)", "a?b", 3)
				return err
			})
			if !store.IsUniqueViolation(err) {
				t.Fatalf("want unique violation, got %v", err)
			}
		})

		t.Run("concurrent writers lose nothing", func(t *testing.T) {
			var wg sync.WaitGroup
			errs := make(chan error, 200)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 25; i++ {
						errs <- db.Tx(ctx, func(tx *store.Tx) error {
							_, err := tx.Exec(ctx, "INSERT INTO thing (name, created_at) VALUES (?, ?)", fmt.Sprintf("c-%d-%d", g, i), 4)
							return err
						})
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			var n int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM thing WHERE created_at = 4").Scan(&n)
			if n != 200 {
				t.Fatalf("want 200 rows, got %d", n)
			}
		})

		t.Run("panic rolls back", func(t *testing.T) {
			func() {
				defer func() { recover() }()
				db.Tx(ctx, func(tx *store.Tx) error {
					tx.Exec(ctx, "INSERT INTO thing (name, created_at) VALUES (?, ?)", "panicked", 5)
					panic("x")
				})
			}()
			var n int
			db.QueryRow(ctx, "SELECT COUNT(*) FROM thing WHERE name = 'panicked'").Scan(&n)
			if n != 0 {
				t.Fatal("panicked transaction committed")
			}
			// The writer is usable afterwards.
			if _, err := db.Exec(ctx, "UPDATE thing SET size = 1 WHERE name = ?", "a?b"); err != nil {
				t.Fatal(err)
			}
		})
	})
}

func TestRebind(t *testing.T) {
	cases := map[string]string{
		"SELECT ?":                    "SELECT $1",
		"a = ? AND b = '?' AND c = ?": "a = $1 AND b = '?' AND c = $2",
		`x = "q?" AND y IN (?, ?)`:    `x = "q?" AND y IN ($1, $2)`,
		"no placeholders":             "no placeholders",
		"s = 'it''s ?' AND t = ?":     "s = 'it''s ?' AND t = $1",
	}
	for in, want := range cases {
		if got := store.Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	_, err := store.Open(context.Background(), store.Config{URL: "mysql://u:secret@h/db"})
	if err == nil {
		t.Fatal("want error")
	}
	if got := err.Error(); strings.Contains(got, "secret") {
		t.Fatalf("error leaks the password: %s", got)
	}
}
