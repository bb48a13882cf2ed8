package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/store"
)

// TestPlainStringMatchesDecoder: the fast path must give exactly what
// json.Unmarshal gives, or decline.
func TestPlainStringMatchesDecoder(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{`""`, `"order.confirmed"`, `"héllo wörld ✓"`, `"a\"b"`, `"a\\nb"`, `"\u00e9"`, "\"\xff\xfe\"", "\"tab\there\"", `"unterminated`, `"x"y"`} {
		got, ok := plainString([]byte(raw))
		var want string
		err := json.Unmarshal([]byte(raw), &want)
		if ok && (err != nil || got != want) {
			t.Errorf("plainString(%q) = %q, json.Unmarshal = %q (%v)", raw, got, want, err)
		}
		if s, ok := stringField(json.RawMessage(raw)); ok && (err != nil || s != want) {
			t.Errorf("stringField(%q) = %q, want %q (%v)", raw, s, want, err)
		}
	}
}

var benchBody = []byte(`{"eventType":"order.confirmed","channels":["PUSH","EMAIL"],"payload":{"userId":"user-12345","recipientEmail":"ada@example.com"},"variables":{"title":"Order confirmed","message":"Your order #1234 is on its way","orderNumber":"1234","amount":"42.00"}}`)

// BenchmarkParse is trigger validation: decode and check every field.
//
//	go test ./internal/dispatch -run '^$' -bench .
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, problems := parse(benchBody); len(problems) > 0 {
			b.Fatal(problems)
		}
	}
}

type nopPublisher struct{}

func (nopPublisher) Publish(string, string, []byte) error { return nil }

func benchDispatcher(b *testing.B) (*Dispatcher, *Committer, store.Tenant) {
	b.Helper()
	log := slog.New(slog.DiscardHandler)
	s, err := store.Open(context.Background(), "sqlite:"+filepath.Join(b.TempDir(), "bench.db"), log)
	if err != nil {
		b.Fatal(err)
	}
	t := store.Tenant{ID: "ten_bench", Name: "Bench", Active: true, CreatedAt: time.Now()}
	if err := s.CreateTenant(context.Background(), t); err != nil {
		b.Fatal(err)
	}
	c := NewCommitter(s, nil, 0, log)
	b.Cleanup(func() { c.Close(); s.Close() })
	return New(Config{Store: s, Committer: c, Publisher: nopPublisher{}, Log: log}), c, t
}

// BenchmarkTrigger is Dispatcher.Trigger without HTTP: validate, plan,
// render, group commit (real SQLite file), publish (no-op), with 64 callers.
func BenchmarkTrigger(b *testing.B) {
	d, _, t := benchDispatcher(b)
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			body := []byte(`{"eventType":"global.bench","channels":["PUSH"],"payload":{"userId":"u` + strconv.FormatInt(n%1000, 10) + `"},"variables":{"title":"Hi","message":"m` + strconv.FormatInt(n, 10) + `"}}`)
			if _, err := d.Trigger(context.Background(), Trigger{Tenant: t, Body: body}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkCommitter is the group commit alone: prepared writes from 64
// concurrent callers, each answered after its batch commits.
func BenchmarkCommitter(b *testing.B) {
	_, c, t := benchDispatcher(b)
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := seq.Add(1)
			now := time.Now()
			id := fmt.Sprintf("%016x%08x", now.UnixNano(), n)
			user := "u" + strconv.FormatInt(n%1000, 10)
			w := &store.EventWrite{
				Event: store.Event{TenantID: t.ID, ID: "evt_" + id, EventType: "global.bench", UserID: user, Payload: `{}`, Variables: `{}`, Channels: "PUSH", CreatedAt: now},
				Notification: &store.Notification{ID: "ntf_" + id, TenantID: t.ID, UserID: user, EventID: "evt_" + id, EventType: "global.bench",
					Title: "Hi", Body: "hello", Status: store.StatusUnread, CreatedAt: now},
			}
			if _, err := c.Commit(context.Background(), w); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
}

// BenchmarkCommitAt1000 is the group commit's latency in open loop at 1,000
// writes/s (each b.N is one write, sent on schedule whatever came before), the
// commit path of the trigger→WebSocket figure. "housekeeping" is how the
// engine runs (the writer never checkpoints; Store.Checkpoint every 100 ms
// from its own connection); "autocheckpoint" turns SQLite's automatic
// checkpoint back on in the writer (every 1,000 pages, inside a commit) for
// comparison.
//
//	go test ./internal/dispatch -run '^$' -bench CommitAt1000 -benchtime 10000x
func BenchmarkCommitAt1000(b *testing.B) {
	for _, mode := range []string{"housekeeping", "autocheckpoint"} {
		b.Run(mode, func(b *testing.B) {
			_, c, t := benchDispatcher(b)
			s := c.store
			stop := make(chan struct{})
			var ticks sync.WaitGroup
			if mode == "autocheckpoint" {
				if _, err := s.Write.Exec(`PRAGMA wal_autocheckpoint = 1000`); err != nil {
					b.Fatal(err)
				}
			} else {
				ticks.Add(1)
				go func() {
					defer ticks.Done()
					tick := time.NewTicker(100 * time.Millisecond)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if err := s.Checkpoint(context.Background()); err != nil {
								b.Error(err)
							}
						}
					}
				}()
			}
			lat := make([]time.Duration, b.N)
			var wg sync.WaitGroup
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			for i := range b.N {
				due := start.Add(time.Duration(i) * time.Millisecond)
				time.Sleep(time.Until(due))
				wg.Add(1)
				go func() {
					defer wg.Done()
					now := time.Now()
					id := fmt.Sprintf("%016x%08x", now.UnixNano(), i)
					user := "u" + strconv.Itoa(i%1000)
					w := &store.EventWrite{
						Event: store.Event{TenantID: t.ID, ID: "evt_" + id, EventType: "global.bench", UserID: user, Payload: `{}`, Variables: `{}`, Channels: "PUSH", CreatedAt: now},
						Notification: &store.Notification{ID: "ntf_" + id, TenantID: t.ID, UserID: user, EventID: "evt_" + id, EventType: "global.bench",
							Title: "Hi", Body: "hello", Status: store.StatusUnread, CreatedAt: now},
					}
					if _, err := c.Commit(context.Background(), w); err != nil {
						b.Error(err)
					}
					lat[i] = time.Since(due)
				}()
			}
			wg.Wait()
			b.StopTimer()
			cpu := cpuTime() - cpu0
			close(stop)
			ticks.Wait()
			slices.Sort(lat)
			q := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(q(0.50), "p50-ms")
			b.ReportMetric(q(0.99), "p99-ms")
			b.ReportMetric(q(1), "max-ms")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
		})
	}
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
