package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

// TestWALBoundedUnderBurst: the writer never checkpoints by itself, so the
// WAL stays bounded only because Checkpoint runs beside it (as the engine's
// housekeeping does every 100 ms). 20,000 PUSH triggers through the group
// commit as fast as 64 callers can push them must leave the WAL file far
// below the high-water mark and all rows committed.
func TestWALBoundedUnderBurst(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sustained write burst")
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "o.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateTenant(ctx, store.Tenant{ID: "t1", Name: "T", Active: true, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c := NewCommitter(s, nil, 0, log)
	defer c.Close()

	stop := make(chan struct{})
	var maxWAL atomic.Int64
	var checkpoints sync.WaitGroup
	checkpoints.Add(1)
	go func() {
		defer checkpoints.Done()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if fi, err := os.Stat(s.Path + "-wal"); err == nil && fi.Size() > maxWAL.Load() {
				maxWAL.Store(fi.Size())
			}
			select {
			case <-stop:
				return
			case <-tick.C:
				if err := s.Checkpoint(ctx); err != nil {
					t.Error(err)
				}
			}
		}
	}()

	const total, callers = 20_000, 64
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := seq.Add(1)
				if n > total {
					return
				}
				now := time.Now()
				id := fmt.Sprintf("%016x%08x", now.UnixNano(), n)
				user := fmt.Sprintf("u%d", n%1000)
				w := &store.EventWrite{
					Event: store.Event{TenantID: "t1", ID: "evt_" + id, EventType: "global.burst", UserID: user,
						Payload: `{"userId":"` + user + `"}`, Variables: `{"title":"Hi","message":"hello"}`, Channels: "PUSH", CreatedAt: now},
					Notification: &store.Notification{ID: "ntf_" + id, TenantID: "t1", UserID: user, EventID: "evt_" + id,
						EventType: "global.burst", Category: "c", Title: "Hi", Body: "hello", Status: store.StatusUnread, CreatedAt: now},
				}
				if out, err := c.Commit(ctx, w); err != nil || out != store.Written {
					t.Errorf("commit %d: %v, %v", n, out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(stop)
	checkpoints.Wait()

	var n int
	if err := s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&n); err != nil || n != total {
		t.Fatalf("notifications = %d, %v; want %d", n, err, total)
	}
	t.Logf("%d triggers in %s; largest WAL file %.1f MiB", total, elapsed.Round(time.Millisecond), float64(maxWAL.Load())/(1<<20))
	// Each 100 ms adds at most a few thousand pages even on a fast machine;
	// without the checkpoints the WAL would hold the whole burst.
	if limit := int64(store.DefaultWALHighWater / 2); maxWAL.Load() > limit {
		t.Fatalf("WAL file reached %d bytes, want at most %d", maxWAL.Load(), limit)
	}
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
}
