// Package store keeps Orqestra's data: tenants, keys, templates, events,
// notifications, deliveries and River's jobs, in SQLite (embedded default) or
// PostgreSQL. All SQL lives in this package.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// ErrNotFound is returned when a looked-up row does not exist (for that tenant).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row with the same unique key already exists.
var ErrConflict = errors.New("already exists")

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database. Writes go through one connection (SQLite allows one
// writer, and River's SQLite driver requires it); reads use their own pool so
// history pages never queue behind writes.
type Store struct {
	// Write is the single-connection handle used for every write and by River.
	Write *sql.DB
	// Read is a pool for reads only.
	Read *sql.DB
	// Path is the SQLite file path.
	Path string

	log *slog.Logger
}

// Open opens (creating if needed) and migrates the database named by url.
// Supported: "sqlite:PATH" (also "sqlite://PATH" and a bare path ending in .db).
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	path, ok := sqlitePath(url)
	if !ok {
		return nil, fmt.Errorf("store: unsupported database URL %q (want sqlite:PATH)", url)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// busy_timeout covers another process (the CLI) writing while a server runs.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)"
	w, err := sql.Open("sqlite", "file:"+abs+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", "file:"+abs+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{Write: w, Read: r, Path: abs, log: log}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func sqlitePath(url string) (string, bool) {
	switch {
	case strings.HasPrefix(url, "sqlite://"):
		return strings.TrimPrefix(url, "sqlite://"), true
	case strings.HasPrefix(url, "sqlite:"):
		return strings.TrimPrefix(url, "sqlite:"), true
	case strings.HasSuffix(url, ".db") && !strings.Contains(url, "://"):
		return url, true
	}
	return "", false
}

// Close closes both handles.
func (s *Store) Close() error {
	return errors.Join(s.Read.Close(), s.Write.Close())
}

// migrate applies our numbered migrations, then River's.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS orqestra_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		var version int
		if _, err := fmt.Sscanf(filepath.Base(name), "%d_", &version); err != nil {
			return fmt.Errorf("store: migration %s: bad name", name)
		}
		var done int
		if err := s.Write.QueryRowContext(ctx, `SELECT COUNT(*) FROM orqestra_migrations WHERE version = $1`, version).Scan(&done); err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if done > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		tx, err := s.Write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO orqestra_migrations (version, applied_at) VALUES ($1, $2)`, version, Micros(time.Now())); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
		s.log.Info("applied migration", "version", version)
	}
	m, err := rivermigrate.New(riversqlite.New(s.Write), nil)
	if err != nil {
		return fmt.Errorf("store: river migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrate: %w", err)
	}
	return nil
}

// Micros converts t to the stored representation: Unix microseconds.
func Micros(t time.Time) int64 { return t.UnixMicro() }

// FromMicros converts a stored timestamp back to UTC time.
func FromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// Setting returns a stored setting, or ErrNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var v string
	err := s.Write.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// EnsureSetting stores value under key unless a value is already stored, and
// returns the stored one. Concurrent first starts agree on one value.
func (s *Store) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := s.Write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return s.Setting(ctx, key)
}

// Checkpoint runs a passive WAL checkpoint so the WAL file does not grow
// without bound under continuous writes.
func (s *Store) Checkpoint(ctx context.Context) error {
	_, err := s.Write.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
