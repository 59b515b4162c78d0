// Package store is the database handle every component uses: SQLite (the
// embedded default) or PostgreSQL (production), with per-component embedded
// migrations and transaction helpers. Components write SQL with `?`
// placeholders; the handle rewrites them for PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the database engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Config says which database to open.
type Config struct {
	// URL is a postgres:// or postgresql:// URL; empty means SQLite.
	URL string
	// Path is the SQLite database file, used when URL is empty.
	Path string
	// Synchronous is SQLite's synchronous pragma: "full" (default: a
	// committed transaction survives a power cut) or "normal" (survives a
	// process crash only, faster).
	Synchronous string
	// MaxConns caps the PostgreSQL pool and the SQLite reader pool.
	MaxConns int
}

// DB is a database handle. On SQLite it holds one writer connection (SQLite
// allows one writer at a time; queuing in Go is cheaper than busy retries)
// and a pool of readers; on PostgreSQL both are the same pool.
type DB struct {
	dialect Dialect
	w, r    *sql.DB
	rebinds sync.Map // query string -> PostgreSQL form
	// On SQLite, statements prepared once per connection and kept: the
	// driver parses a statement on every unprepared call, and the same
	// few hundred statements run all day. (pgx caches its own.)
	ws, rs *stmtCache
}

// Querier is what both DB and Tx offer: queries with `?` placeholders.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Dialect() Dialect
}

// IsPostgresURL reports whether u names a PostgreSQL database.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// Open opens the database that cfg names and checks it answers.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	var db *DB
	var err error
	switch {
	case IsPostgresURL(cfg.URL):
		db, err = openPostgres(cfg)
	case cfg.URL != "":
		return nil, fmt.Errorf("store: unsupported database URL %q: use postgres://... or leave it empty for SQLite", redact(cfg.URL))
	default:
		db, err = openSQLite(cfg)
	}
	if err != nil {
		return nil, err
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(cfg Config) (*DB, error) {
	p, err := sql.Open("pgx", cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = 4 * runtime.NumCPU()
	}
	p.SetMaxOpenConns(n)
	p.SetMaxIdleConns(n)
	return &DB{dialect: Postgres, w: p, r: p}, nil
}

func openSQLite(cfg Config) (*DB, error) {
	if cfg.Path == "" {
		return nil, errors.New("store: no SQLite path and no database URL")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o750); err != nil {
		return nil, fmt.Errorf("store: create data directory: %w", err)
	}
	sync := "FULL"
	if strings.EqualFold(cfg.Synchronous, "normal") {
		sync = "NORMAL"
	}
	// Memory-mapped reads and a larger page cache keep the B-trees of a
	// registry with millions of rows off the read(2) path.
	base := "file:" + cfg.Path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(" + sync + ")" +
		"&_pragma=mmap_size(1073741824)"
	w, err := sql.Open("sqlite", base+"&_txlock=immediate&_pragma=cache_size(-65536)")
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite writer: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)&_pragma=cache_size(-16384)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite readers: %w", err)
	}
	n := cfg.MaxConns
	if n <= 0 {
		n = 2 * runtime.NumCPU()
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxLifetime(0)
	return &DB{dialect: SQLite, w: w, r: r, ws: newStmtCache(w), rs: newStmtCache(r)}, nil
}

// Dialect reports the engine.
func (db *DB) Dialect() Dialect { return db.dialect }

// Writer returns the underlying writer pool, for libraries that need a *sql.DB.
func (db *DB) Writer() *sql.DB { return db.w }

// Ping checks that the database answers; it backs /readyz.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", db.dialect, err)
	}
	if db.r != db.w {
		if err := db.r.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s readers: %w", db.dialect, err)
		}
	}
	return nil
}

// Close closes the pools.
func (db *DB) Close() error {
	db.ws.close()
	db.rs.close()
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Exec runs a statement outside a transaction, on the writer.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := db.ws.get(ctx, query, true); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return db.w.ExecContext(ctx, db.rebind(query), args...)
}

// Query runs a read-only query on a reader.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := db.rs.get(ctx, query, true); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.r.QueryContext(ctx, db.rebind(query), args...)
}

// QueryRow runs a read-only query that returns at most one row, on a reader.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := db.rs.get(ctx, query, true); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.r.QueryRowContext(ctx, db.rebind(query), args...)
}

// Tx runs fn in a write transaction and commits it when fn returns nil. On
// SQLite the transaction holds the only writer connection, so fn must not use
// db itself for writes (use tx) or it will wait for itself.
func (db *DB) Tx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	stx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	tx := &Tx{tx: stx, db: db}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
			return
		}
		if cerr := stx.Commit(); cerr != nil {
			err = fmt.Errorf("store: commit: %w", cerr)
		}
		// The writer is free again: prepare what this transaction ran
		// unprepared, for the next ones.
		db.ws.preparePending(ctx)
	}()
	return fn(tx)
}

// Tx is a write transaction.
type Tx struct {
	tx *sql.Tx
	db *DB
}

// stmt returns the transaction's use of the cached statement for query,
// or nil. Inside a transaction the writer's only connection is taken, so a
// statement not prepared yet is noted and prepared after the commit.
func (tx *Tx) stmt(ctx context.Context, query string) *sql.Stmt {
	st := tx.db.ws.get(ctx, query, false)
	if st == nil {
		return nil
	}
	return tx.tx.StmtContext(ctx, st)
}

// Dialect reports the engine.
func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// Exec runs a statement in the transaction.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.tx.ExecContext(ctx, tx.db.rebind(query), args...)
}

// Query runs a query in the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.tx.QueryContext(ctx, tx.db.rebind(query), args...)
}

// QueryRow runs a query that returns at most one row, in the transaction.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if st := tx.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return tx.tx.QueryRowContext(ctx, tx.db.rebind(query), args...)
}

// rebind turns `?` placeholders into PostgreSQL's `$n`, leaving quoted
// strings and identifiers alone.
func (db *DB) rebind(q string) string {
	if db.dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := db.rebinds.Load(q); ok {
		return v.(string)
	}
	out := Rebind(q)
	db.rebinds.Store(q, out)
	return out
}

// Rebind rewrites `?` placeholders as `$1`, `$2`, ... outside quotes.
func Rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// IsUniqueViolation reports whether err is a unique-constraint failure.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// redact hides the password in a database URL for messages.
func redact(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}
