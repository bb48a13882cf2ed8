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

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"modernc.org/sqlite"
)

// ErrNotFound is returned when a looked-up row does not exist (for that tenant).
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a row with the same unique key already exists.
var ErrConflict = errors.New("already exists")

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the database: SQLite (one file, one machine) or PostgreSQL (any
// number of engine nodes). The SQL is the same on both; only opening,
// migration locking and WAL upkeep differ.
//
// On SQLite, writes go through one connection (SQLite allows one writer, and
// River's SQLite driver requires it) and reads use their own pool so history
// pages never queue behind writes. On PostgreSQL, Write and Read are the same
// pool (pgx under database/sql), and PG holds the pgx pool River's workers use.
type Store struct {
	// Write is the handle used for every write and by River.
	Write *sql.DB
	// Read is the handle for reads only.
	Read *sql.DB
	// Path is the SQLite file path ("" on PostgreSQL).
	Path string
	// PG is the pgx pool on PostgreSQL (nil on SQLite): River's workers use
	// it for LISTEN/NOTIFY, so jobs start without waiting for a poll.
	PG *pgxpool.Pool

	name string // where the data lives, without credentials, for logs
	log  *slog.Logger

	stmts map[string]*sql.Stmt // prepared on Write by Open, by query text; read-only after

	// ckpt is the SQLite connection that checkpoints the WAL (nil on
	// PostgreSQL). It is neither the writer, whose commits must not wait
	// for a checkpoint, nor a query_only reader.
	ckpt *sql.DB

	// WALHighWater is how large the SQLite WAL may grow, in bytes, before
	// Checkpoint escalates: past it, readers have kept passive checkpoints
	// from letting SQLite restart the WAL, and Checkpoint briefly blocks
	// writers to reset it. Open sets DefaultWALHighWater; set before use.
	WALHighWater int64
}

// Open opens (creating if needed) and migrates the database named by url.
// Supported: "sqlite:PATH" (also "sqlite://PATH" and a bare path ending in
// .db), and "postgres://..." or "postgresql://..." (pgx connection strings,
// including pool_max_conns).
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") {
		return openPostgres(ctx, url, log)
	}
	path, ok := sqlitePath(url)
	if !ok {
		return nil, fmt.Errorf("store: unsupported database URL (want sqlite:PATH or postgres://...)")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// busy_timeout covers another process (the CLI) writing while a server runs.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-32000)"
	drv := &sqlite.Driver{}
	// The writer never checkpoints (wal_autocheckpoint=0): SQLite would do it
	// inside a commit whenever the WAL passes 1,000 pages, stalling the one
	// writer (and every trigger waiting on the group commit) for
	// milliseconds. Checkpoint, called often by the engine, does it from its
	// own connection instead. journal_size_limit shrinks the WAL file back
	// when SQLite restarts it after a burst.
	w := sql.OpenDB(cachingConnector{dsn: "file:" + abs + "?" + pragmas + "&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(67108864)&_txlock=immediate", drv: drv})
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	r := sql.OpenDB(cachingConnector{dsn: "file:" + abs + "?" + pragmas + "&_pragma=query_only(1)", drv: drv})
	n := max(4, runtime.GOMAXPROCS(0)*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	// No busy timeout by default: PASSIVE checkpoints never wait, and
	// Checkpoint sets a short one for the kinds that do.
	c := sql.OpenDB(cachingConnector{dsn: "file:" + abs + "?_pragma=busy_timeout(0)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)", drv: drv})
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxLifetime(0)
	c.SetConnMaxIdleTime(0)
	s := &Store{Write: w, Read: r, ckpt: c, WALHighWater: DefaultWALHighWater, Path: abs, name: "sqlite:" + abs, log: log}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.prepareWrites(ctx); err != nil {
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

// openPostgres opens a pgx pool and a database/sql handle over it, so the
// store's queries stay one code path for both databases.
func openPostgres(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's message may quote the URL, password included: keep it out.
		return nil, errors.New("store: invalid PostgreSQL URL")
	}
	if !strings.Contains(url, "pool_max_conns") {
		// River's producers, the committer and API reads share the pool;
		// pgx's default (max(4, CPUs)) makes them queue for connections.
		cfg.MaxConns = int32(max(16, runtime.GOMAXPROCS(0)*4))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("store: connect to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL %s:%d: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Port, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	s := &Store{
		Write: db, Read: db, PG: pool, log: log,
		name: fmt.Sprintf("postgres://%s:%d/%s", cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database),
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Postgres reports whether the store is on PostgreSQL.
func (s *Store) Postgres() bool { return s.PG != nil }

// Name says where the data lives (file path, or PostgreSQL host and
// database), without credentials, for logs and CLI output.
func (s *Store) Name() string { return s.name }

// Close closes the handles.
func (s *Store) Close() error {
	for _, st := range s.stmts {
		st.Close()
	}
	if s.PG != nil {
		err := s.Write.Close()
		s.PG.Close()
		return err
	}
	return errors.Join(s.ckpt.Close(), s.Read.Close(), s.Write.Close())
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations when several nodes start at once ("orqestra" in ASCII).
const migrationLock int64 = 0x6f72716573747261

// migrate applies our numbered migrations, then River's. On PostgreSQL a
// session advisory lock makes nodes starting together migrate one at a time
// (CREATE TABLE IF NOT EXISTS alone is not safe under concurrency there).
func (s *Store) migrate(ctx context.Context) error {
	if s.PG != nil {
		lock, err := s.PG.Acquire(ctx)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		defer lock.Release()
		if _, err := lock.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("store: migrate: lock: %w", err)
		}
		defer lock.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	}
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
		body, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		// The check is inside the transaction: on SQLite it is an immediate
		// one, which holds the file's write lock, so another process that
		// migrates at the same moment waits and then sees the version done.
		tx, err := s.Write.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		var done int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orqestra_migrations WHERE version = $1`, version).Scan(&done); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migrate: %w", err)
		}
		if done > 0 {
			tx.Rollback()
			continue
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
	if s.PG != nil {
		m, err := rivermigrate.New(riverpgxv5.New(s.PG), nil)
		if err != nil {
			return fmt.Errorf("store: river migrate: %w", err)
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("store: river migrate: %w", err)
		}
		return nil
	}
	// River's SQLite migrator takes no lock: run it inside an immediate
	// transaction so processes opening a new file together take turns.
	m, err := rivermigrate.New(riversqlite.New(s.Write), nil)
	if err != nil {
		return fmt.Errorf("store: river migrate: %w", err)
	}
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: river migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("store: river migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
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

// PutSetting stores value under key, replacing any stored value.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	if _, err := s.Write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value); err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	return nil
}

// EnsureSetting stores value under key unless a value is already stored, and
// returns the stored one. Concurrent first starts agree on one value.
func (s *Store) EnsureSetting(ctx context.Context, key, value string) (string, error) {
	if _, err := s.Write.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, key, value); err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return s.Setting(ctx, key)
}

// DefaultWALHighWater is the WAL size past which Checkpoint stops being
// polite (see Store.WALHighWater).
const DefaultWALHighWater = 64 << 20

// walRestartAt is the WAL size past which Checkpoint asks SQLite to start the
// WAL over. Each restart holds the writer off for a few milliseconds (the
// fsyncs of the last frames), and a PUSH event committed alone writes about
// ten pages, so at 1,000 events/s (~40 MiB of WAL a second) 16 MiB means about
// two restarts a second (at 4 MiB, eight, and a p99 commit latency of 13
// ms instead of 9 in BenchmarkCommitAt1000).
const walRestartAt = 16 << 20

// Checkpoint copies the WAL into the database file and keeps the WAL from
// growing without bound; the writer connection never checkpoints itself, so
// that a commit never waits for one. It runs on its own connection:
//
//   - PASSIVE first, which waits for nobody: the writer and readers carry on,
//     and frames a reader still needs are left for the next call.
//   - A passive checkpoint alone rarely lets the WAL start over under steady
//     writes (SQLite restarts it only when every frame has been copied, and
//     the writer appends while the copy runs), so past walRestartAt a RESTART
//     follows, with a 10 ms busy timeout: it holds the write lock only to copy
//     the frames written since the passive pass, and gives up (until the next
//     call) rather than wait longer for a busy writer or a reader.
//   - Past s.WALHighWater (readers kept even that from working), TRUNCATE,
//     with a 100 ms busy timeout and a log line: writers may wait that long.
//
// PostgreSQL checkpoints itself, so there it does nothing.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.PG != nil {
		return nil
	}
	conn, err := s.ckpt.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	defer conn.Close()
	var busy, frames, done int
	if err := conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	var pageSize int64
	if err := conn.QueryRowContext(ctx, `PRAGMA page_size`).Scan(&pageSize); err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	wal := int64(frames) * pageSize
	switch {
	case wal > s.WALHighWater:
		s.log.Warn("WAL past its high-water mark; truncating checkpoint", "walBytes", wal, "checkpointedBytes", int64(done)*pageSize)
		busy, err = s.checkpointWait(ctx, conn, "TRUNCATE", 100)
		if err == nil && busy != 0 {
			s.log.Warn("truncating checkpoint could not finish: readers or a writer held the WAL", "walBytes", wal)
		}
		return err
	case wal > walRestartAt:
		_, err = s.checkpointWait(ctx, conn, "RESTART", 10)
		return err
	}
	return nil
}

// checkpointWait runs a checkpoint of mode that may wait up to ms
// milliseconds for the writer and readers, and reports whether it gave up.
func (s *Store) checkpointWait(ctx context.Context, conn *sql.Conn, mode string, ms int) (busy int, err error) {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf(`PRAGMA busy_timeout = %d`, ms)); err != nil {
		return 0, fmt.Errorf("store: checkpoint: %w", err)
	}
	var frames, done int
	err = conn.QueryRowContext(ctx, `PRAGMA wal_checkpoint(`+mode+`)`).Scan(&busy, &frames, &done)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA busy_timeout = 0`); rerr != nil && err == nil {
		err = rerr
	}
	if err != nil {
		return 0, fmt.Errorf("store: checkpoint (%s): %w", strings.ToLower(mode), err)
	}
	return busy, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
