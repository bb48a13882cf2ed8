package dispatch

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync/atomic"
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
