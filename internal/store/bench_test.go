package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

func openBench(b *testing.B) *store.Store {
	b.Helper()
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.CreateTenant(context.Background(), store.Tenant{ID: "ten_bench", Name: "Bench", Active: true, CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkWriteEvents is the commit batch: one transaction holding n PUSH
// events (event row + notification row), as the group commit writes them.
// Per-event cost falls steeply with the batch size, which is why the
// committer gathers concurrent triggers.
//
//	go test ./internal/store -run '^$' -bench WriteEvents
func BenchmarkWriteEvents(b *testing.B) {
	for _, n := range []int{1, 8, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			s := openBench(b)
			ctx := context.Background()
			seq := 0
			writes := make([]*store.EventWrite, n)
			outcomes := make([]store.WriteOutcome, n)
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := 0; i < b.N; i += n {
				now := time.Now()
				for j := range writes {
					seq++
					id := fmt.Sprintf("%016x%016x", now.UnixNano(), seq)
					user := fmt.Sprintf("u%d", seq%1000)
					writes[j] = &store.EventWrite{
						Event: store.Event{TenantID: "ten_bench", ID: "evt_" + id, EventType: "global.bench", UserID: user,
							Payload: `{"userId":"` + user + `"}`, Variables: `{"title":"Hi","message":"hello"}`, Channels: "PUSH", CreatedAt: now},
						Notification: &store.Notification{ID: "ntf_" + id, TenantID: "ten_bench", UserID: user, EventID: "evt_" + id,
							EventType: "global.bench", Category: "bench", Title: "Hi", Body: "hello", Status: store.StatusUnread, CreatedAt: now},
					}
				}
				tx, err := s.BeginWrite(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if err := s.WriteEvents(ctx, tx, writes, outcomes); err != nil {
					b.Fatal(err)
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/event")
		})
	}
}

// BenchmarkHistory reads a page of 50 (and the unread count, as the history
// endpoint does) with 1,000,000 stored notifications: 1,000 users with 1,000
// each, and one user holding 100,000 of them.
//
//	go test ./internal/store -run '^$' -bench History -benchtime 2000x
func BenchmarkHistory(b *testing.B) {
	s := openBench(b)
	ctx := context.Background()
	start := time.Now()
	// Seed in SQL: 900,000 rows for 900 users, then 100,000 for "heavy".
	// Ids are time-ordered like the engine's (UUIDv7 hex after "ntf_").
	const seed = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1 - 1)
		INSERT INTO notifications (id, tenant_id, user_id, event_id, event_type, category, title, body, status, created_at)
		SELECT printf('ntf_%s%012x', $2, i), 'ten_bench', CASE WHEN $3 = '' THEN 'u' || (i % 900) ELSE $3 END, printf('evt_%012x', i), 'global.bench', 'bench',
		       'Title ' || i, 'A body of a typical length for an in-app notification, number ' || i, CASE WHEN i % 3 = 0 THEN 'READ' ELSE 'UNREAD' END, 1700000000000000 + i
		FROM n`
	if _, err := s.Write.ExecContext(ctx, seed, 900_000, "a", ""); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Write.ExecContext(ctx, seed, 100_000, "b", "heavy"); err != nil {
		b.Fatal(err)
	}
	// The writer never checkpoints; the engine's housekeeping would have.
	if err := s.Checkpoint(ctx); err != nil {
		b.Fatal(err)
	}
	var total int
	s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications`).Scan(&total)
	b.Logf("seeded %d notifications in %s", total, time.Since(start).Round(time.Millisecond))
	for _, c := range []struct{ name, user string }{{"user=1k", "u1"}, {"user=100k", "heavy"}} {
		b.Run(c.name, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				page, _, err := s.History(ctx, "ten_bench", c.user, store.HistoryQuery{Limit: 50})
				if err != nil || len(page) != 50 {
					b.Fatalf("page of %d: %v", len(page), err)
				}
				if _, err := s.UnreadCount(ctx, "ten_bench", c.user); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportQuantiles(b, lat)
		})
	}
}

func reportQuantiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	sorted := append([]time.Duration(nil), lat...)
	for i := 1; i < len(sorted); i++ {
		for j := i; j > 0 && sorted[j] < sorted[j-1]; j-- {
			sorted[j], sorted[j-1] = sorted[j-1], sorted[j]
		}
	}
	q := func(p float64) float64 {
		return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds()) / 1000
	}
	b.ReportMetric(q(0.50), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
}

// cpuTime is the CPU time (user and system) this process has used; per
// event it is steadier than wall time on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
