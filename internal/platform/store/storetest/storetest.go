// Package storetest opens real databases for tests: SQLite always, and
// PostgreSQL when VNGOV_TEST_POSTGRES holds a postgres:// URL. Each database
// a test gets is new and empty (a temporary file, or a fresh schema).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vngov/vngov/internal/platform/store"
)

// PostgresURL returns the PostgreSQL test URL, or "" when none is set.
func PostgresURL() string { return os.Getenv("VNGOV_TEST_POSTGRES") }

var skipOnce sync.Once

// Each runs fn once per available database, as subtests "sqlite" and
// "postgres". Without VNGOV_TEST_POSTGRES the postgres subtest is skipped
// and says so.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, OpenSQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		if PostgresURL() == "" {
			skipOnce.Do(func() {
				println("storetest: PostgreSQL tests SKIPPED: VNGOV_TEST_POSTGRES is not set")
			})
			t.Skip("PostgreSQL not configured: set VNGOV_TEST_POSTGRES=postgres://... to run")
		}
		fn(t, OpenPostgres(t))
	})
}

// OpenSQLite opens a new SQLite database in the test's temporary directory.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Config{Path: filepath.Join(t.TempDir(), "vngov.db"), Synchronous: "normal"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// OpenPostgres opens the test PostgreSQL server in a new, empty schema that
// is dropped when the test ends.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	u, schema := SchemaURL(t)
	db, err := store.Open(context.Background(), store.Config{URL: u, MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_ = schema
	return db
}

// SchemaURL creates a fresh schema on the test server and returns a URL whose
// connections use it, and the schema's name. The schema is dropped at cleanup.
func SchemaURL(t testing.TB) (string, string) {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Skip("PostgreSQL not configured: set VNGOV_TEST_POSTGRES")
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("storetest: create schema on %s: %v", base, err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	pu, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set("search_path", schema)
	pu.RawQuery = q.Encode()
	return pu.String(), schema
}
