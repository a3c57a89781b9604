package queue

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// stmtCache prepares each hot-path statement once and lends it to
// transactions. database/sql keeps the statement prepared on every pooled
// connection that has run it, so a check-in does not parse its SQL again:
// parsing was a third of the time a check-in spent in its statements.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt)}
}

// in returns query prepared for use inside tx; it is released with tx.
func (c *stmtCache) in(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.m[query]
	if !ok {
		var err error
		if st, err = c.db.PrepareContext(ctx, query); err != nil {
			c.mu.Unlock()
			return nil, fmt.Errorf("prepare: %w", err)
		}
		c.m[query] = st
	}
	c.mu.Unlock()
	return tx.StmtContext(ctx, st), nil
}

// queryRow runs a cached single-row query inside tx.
func (c *stmtCache) queryRow(ctx context.Context, tx *sql.Tx, query string, args ...any) *sql.Row {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		// A *sql.Row cannot carry an error of its own; run the query
		// unprepared so Scan reports what went wrong.
		return tx.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// query runs a cached query of several rows inside tx.
func (c *stmtCache) query(ctx context.Context, tx *sql.Tx, query string, args ...any) (*sql.Rows, error) {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// exec runs a cached statement inside tx.
func (c *stmtCache) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	st, err := c.in(ctx, tx, query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, args...)
	return err
}

// close releases every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close() // a prepared statement: closing frees it, nothing to lose
		delete(c.m, q)
	}
}
