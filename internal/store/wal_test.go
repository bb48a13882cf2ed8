package store_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/orqestra/orqestra/internal/store"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCheckpoint: the writer never checkpoints by itself (the commits stay
// in the WAL), Checkpoint copies them into the database file, and a WAL
// that readers kept from restarting is truncated once it passes the
// high-water mark and the readers are gone.
func TestCheckpoint(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, url string) {
		ctx := context.Background()
		s := open(t, url)
		if s.Postgres() {
			if err := s.Checkpoint(ctx); err != nil {
				t.Fatalf("checkpoint on PostgreSQL: %v", err)
			}
			return
		}
		tenant(t, s, "t1")
		if err := s.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		dbBefore := fileSize(t, s.Path)
		// Well past SQLite's default autocheckpoint of 1,000 pages.
		for i := range 40 {
			var ws []*store.EventWrite
			for j := range 100 {
				ws = append(ws, write(fmt.Sprintf("e%d_%d", i, j), "", 0))
			}
			commit(t, s, ws...)
		}
		if got := fileSize(t, s.Path); got != dbBefore {
			t.Fatalf("database file grew from %d to %d bytes without a Checkpoint: the writer checkpointed", dbBefore, got)
		}
		if err := s.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if got := fileSize(t, s.Path); got <= dbBefore {
			t.Fatalf("database file %d bytes after Checkpoint, %d before: nothing checkpointed", got, dbBefore)
		}

		// A reader holding an old snapshot keeps the WAL from restarting.
		s.WALHighWater = 256 << 10
		rtx, err := s.Read.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := rtx.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			var ws []*store.EventWrite
			for j := range 100 {
				ws = append(ws, write(fmt.Sprintf("f%d_%d", i, j), "", 0))
			}
			commit(t, s, ws...)
			if err := s.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
		}
		held := fileSize(t, s.Path+"-wal")
		if held <= s.WALHighWater {
			t.Fatalf("WAL %d bytes with a reader holding it; the test needs more than %d", held, s.WALHighWater)
		}
		rtx.Rollback()
		if err := s.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if got := fileSize(t, s.Path+"-wal"); got != 0 {
			t.Fatalf("WAL %d bytes after the escalated checkpoint (was %d), want truncated", got, held)
		}
		if err := s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&n); err != nil || n != 6000 {
			t.Fatalf("notifications = %d, %v; want 6000", n, err)
		}
	})
}
