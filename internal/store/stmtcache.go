package store

import (
	"context"
	"database/sql/driver"
	"errors"

	"modernc.org/sqlite"
)

// stmtCacheSize bounds the prepared statements kept per connection.
const stmtCacheSize = 256

// cachingConnector opens SQLite connections that keep their prepared
// statements by query text. Without it every ExecContext and QueryContext
// parses its SQL again: River's SQLite driver runs its large job-completion
// and job-fetch queries that way, once per job, and parsing was the biggest
// single cost of an EMAIL delivery (~40% of the engine's CPU in a profile).
// SQLite statements are reusable after a reset, which modernc's driver
// does when a statement it prepared is reused.
type cachingConnector struct {
	dsn string
	drv *sqlite.Driver
}

func (c cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn)
}

func (c cachingConnector) Driver() driver.Driver { return c.drv }

// inner is what modernc's connection implements and the wrapper forwards.
type inner interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachingConn struct {
	inner
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	st interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	}
	busy bool // rows from it are still open
}

func newCachingConn(c driver.Conn) (driver.Conn, error) {
	in, ok := c.(inner)
	if !ok {
		c.Close()
		return nil, errors.New("store: sqlite connection lacks the expected driver interfaces")
	}
	return &cachingConn{inner: in, stmts: map[string]*cachedStmt{}}, nil
}

// stmt returns the cached statement for query, preparing it on first use;
// nil when it is busy (rows from it still open) or cannot be cached.
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if cs := c.stmts[query]; cs != nil {
		if cs.busy {
			return nil, nil
		}
		return cs, nil
	}
	ds, err := c.inner.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := ds.(interface {
		driver.Stmt
		driver.StmtExecContext
		driver.StmtQueryContext
	})
	if !ok {
		ds.Close()
		return nil, nil
	}
	if len(c.stmts) >= stmtCacheSize {
		for q, old := range c.stmts {
			if !old.busy {
				old.st.Close()
				delete(c.stmts, q)
				break
			}
		}
	}
	cs := &cachedStmt{st: st}
	c.stmts[query] = cs
	return cs, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.ExecContext(ctx, query, args)
	}
	return cs.st.ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.inner.QueryContext(ctx, query, args)
	}
	rows, err := cs.st.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: rows, stmt: cs}, nil
}

// CheckNamedValue accepts every argument as is, as modernc's driver does
// when no converter is involved (it binds the Go types itself).
func (c *cachingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.inner.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func (c *cachingConn) Close() error {
	for q, cs := range c.stmts {
		cs.st.Close()
		delete(c.stmts, q)
	}
	return c.inner.Close()
}

type cachedRows struct {
	driver.Rows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.stmt.busy = false
	return err
}
