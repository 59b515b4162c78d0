package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// maxCachedStmts bounds a cache: statements built with a varying number of
// placeholders (bulk inserts) would otherwise fill it.
const maxCachedStmts = 2048

// stmtCache keeps prepared statements of one SQLite pool by query text.
// database/sql prepares a cached statement again on each connection that
// first runs it and keeps it there, so every connection parses a query
// once. A nil cache (PostgreSQL) caches nothing.
type stmtCache struct {
	db      *sql.DB
	mu      sync.RWMutex
	m       map[string]*sql.Stmt
	pending map[string]bool // seen inside a transaction, to prepare after it
	full    bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// cacheable: one statement (the driver parses scripts statement by
// statement on every call anyway) that is not a schema change.
func cacheable(q string) bool {
	t := strings.TrimSpace(q)
	if i := strings.IndexByte(t, ';'); i >= 0 && strings.TrimSpace(t[i+1:]) != "" {
		return false
	}
	head := strings.ToUpper(t[:min(len(t), 8)])
	return strings.HasPrefix(head, "SELECT") || strings.HasPrefix(head, "INSERT") || strings.HasPrefix(head, "UPDATE") ||
		strings.HasPrefix(head, "DELETE") || strings.HasPrefix(head, "WITH")
}

// get returns the cached statement for q. When it is not prepared yet:
// with prepare, it is prepared now (outside a transaction: the pool has or
// will have a free connection); without, it is noted for preparePending
// and nil is returned. No lock is held while preparing: that waits for a
// connection, which a transaction using this cache may hold.
func (c *stmtCache) get(ctx context.Context, q string, prepare bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	st, full := c.m[q], c.full
	c.mu.RUnlock()
	if st != nil || full || !cacheable(q) {
		return st
	}
	if !prepare {
		c.mu.Lock()
		if len(c.pending) < maxCachedStmts {
			c.pending[q] = true
		}
		c.mu.Unlock()
		return nil
	}
	return c.prepare(ctx, q)
}

func (c *stmtCache) prepare(ctx context.Context, q string) *sql.Stmt {
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), q)
	if err != nil {
		return nil // the unprepared call reports the error
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if have := c.m[q]; have != nil {
		st.Close() // prepared meanwhile by another caller
		return have
	}
	if c.full || len(c.m) >= maxCachedStmts {
		c.full = true
		st.Close()
		return nil
	}
	c.m[q] = st
	return st
}

// preparePending prepares the statements noted inside transactions.
func (c *stmtCache) preparePending(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var qs []string
	for q := range c.pending {
		if c.m[q] == nil {
			qs = append(qs, q)
		}
		delete(c.pending, q)
	}
	c.mu.Unlock()
	for _, q := range qs {
		c.prepare(ctx, q)
	}
}

func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
	c.full = true
}
