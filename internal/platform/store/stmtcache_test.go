package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestStatementCache: statements run inside and outside transactions are
// prepared once and reused; a script or a schema change is never cached;
// concurrent transactions and reads through the cache neither deadlock nor
// mix up results; the cache stops growing at its bound.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, Config{Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(ctx, "CREATE TABLE kv (k INTEGER PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE other (x INTEGER)"); err != nil {
		t.Fatal(err)
	}
	if n := len(db.ws.m); n != 0 {
		t.Fatalf("a script was cached: %d", n)
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				k := w*1000 + i
				err := db.Tx(ctx, func(tx *Tx) error {
					if _, err := tx.Exec(ctx, "INSERT INTO kv (k, v) VALUES (?, ?)", k, "a"); err != nil {
						return err
					}
					var v string
					return tx.QueryRow(ctx, "SELECT v FROM kv WHERE k = ?", k).Scan(&v)
				})
				if err != nil {
					t.Error(err)
					return
				}
				var v string
				if err := db.QueryRow(ctx, "SELECT v FROM kv WHERE k = ?", k).Scan(&v); err != nil || v != "a" {
					t.Errorf("read %d: %q %v", k, v, err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	var n int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM kv").Scan(&n); err != nil || n != 400 {
		t.Fatalf("rows %d %v", n, err)
	}
	if db.ws.m["INSERT INTO kv (k, v) VALUES (?, ?)"] == nil || db.rs.m["SELECT v FROM kv WHERE k = ?"] == nil {
		t.Fatal("the statements were not cached")
	}
	// A schema change after a statement was prepared: the statement still works.
	if _, err := db.Exec(ctx, "ALTER TABLE kv ADD COLUMN w TEXT NOT NULL DEFAULT 'z'"); err != nil {
		t.Fatal(err)
	}
	var v string
	if err := db.QueryRow(ctx, "SELECT v FROM kv WHERE k = ?", 1).Scan(&v); err != nil || v != "a" {
		t.Fatalf("after ALTER: %q %v", v, err)
	}
	// An error is reported by the plain call, not swallowed by the cache.
	if _, err := db.Exec(ctx, "INSERT INTO nope (x) VALUES (?)", 1); err == nil {
		t.Fatal("insert into a missing table succeeded")
	}
	db.ws.mu.Lock()
	db.ws.full = true
	db.ws.mu.Unlock()
	if _, err := db.Exec(ctx, "INSERT INTO other (x) VALUES (?)", 1); err != nil {
		t.Fatal(err)
	}
	if db.ws.m["INSERT INTO other (x) VALUES (?)"] != nil {
		t.Fatal("a full cache grew")
	}
}
