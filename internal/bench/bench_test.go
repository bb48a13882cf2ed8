package bench_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/bench"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// TestExactlyOnce runs the bench briefly against a real engine with a few
// WebSocket clients and checks the tool's own bookkeeping: every accepted
// PUSH event reached its user's client exactly once, and the counts add up
// with what the engine stored.
func TestExactlyOnce(t *testing.T) {
	e := enginetest.Start(t)
	tenantID, key := e.CreateTenant(t, enginetest.Tenant{Name: "Bench", RateLimit: -1})
	var progress bytes.Buffer
	rep, err := bench.Run(context.Background(), bench.Config{
		URL: e.URL, APIKey: key, TenantID: tenantID,
		Duration: 1500 * time.Millisecond, Concurrency: 4, Clients: 5,
		HistoryRequests: 5, Drain: 5 * time.Second, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted == 0 || rep.Sent != rep.Accepted || len(rep.Errors) != 0 {
		t.Fatalf("sent %d, accepted %d, errors %v", rep.Sent, rep.Accepted, rep.Errors)
	}
	rt := rep.Realtime
	if rt == nil {
		t.Fatal("no realtime report")
	}
	if rt.Expected != rep.Accepted || rt.Received != rep.Accepted || rt.Missing != 0 || rt.Duplicates != 0 || rt.Misrouted != 0 {
		t.Fatalf("realtime %+v, accepted %d", *rt, rep.Accepted)
	}
	if rt.Latency.Count != int(rep.Accepted) || rep.TriggerLatency.Count != int(rep.Accepted) {
		t.Errorf("latency samples: ws %d, trigger %d, accepted %d", rt.Latency.Count, rep.TriggerLatency.Count, rep.Accepted)
	}
	n, err := e.Store.CountEvents(context.Background(), tenantID)
	if err != nil || int64(n) != rep.Accepted {
		t.Errorf("engine stored %d events (err %v), bench counted %d accepted", n, err, rep.Accepted)
	}
	if rep.History == nil || rep.History.Count != 5 {
		t.Errorf("history: %+v", rep.History)
	}
	if !strings.Contains(progress.String(), "accepted") {
		t.Errorf("no progress line in %q", progress.String())
	}
	var out bytes.Buffer
	if err := rep.WriteText(&out); err != nil || !strings.Contains(out.String(), "exactly once") {
		t.Errorf("text report: %v\n%s", err, out.String())
	}
}

// TestDeliveries checks the EMAIL count through the outbox and /metrics.
func TestDeliveries(t *testing.T) {
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{Name: "Bench", RateLimit: -1})
	rep, err := bench.Run(context.Background(), bench.Config{
		URL: e.URL, APIKey: key, Channels: []string{"EMAIL"}, MaxRequests: 200, Duration: 5 * time.Second,
		Concurrency: 4, Drain: 20 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	d := rep.Deliveries
	if rep.Accepted != 200 || d == nil || d.Expected != 200 || d.Completed != 200 || d.PerSec <= 0 || !strings.HasPrefix(d.Source, "metrics") {
		t.Fatalf("accepted %d, deliveries %+v", rep.Accepted, d)
	}
}

// TestRefusesRemote keeps the default safe: a non-loopback URL needs AllowRemote.
func TestRefusesRemote(t *testing.T) {
	_, err := bench.Run(context.Background(), bench.Config{URL: "http://192.0.2.1:8080", APIKey: "k"})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("err = %v", err)
	}
}

// TestRateLimited counts refusals by status.
func TestRateLimited(t *testing.T) {
	e := enginetest.Start(t)
	_, key := e.CreateTenant(t, enginetest.Tenant{Name: "Bench", RateLimit: 10})
	rep, err := bench.Run(context.Background(), bench.Config{URL: e.URL, APIKey: key, MaxRequests: 30, Duration: 5 * time.Second, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Accepted != 10 || rep.Errors["429"] != 20 {
		t.Fatalf("accepted %d, errors %v", rep.Accepted, rep.Errors)
	}
}

// TestRefusesNonEngine: a server that is not Orqestra is never loaded.
func TestRefusesNonEngine(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	rep, err := bench.Run(context.Background(), bench.Config{URL: srv.URL, APIKey: "k", Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), "Orqestra") || rep.Sent != 0 {
		t.Fatalf("err = %v, sent %d", err, rep.Sent)
	}
}
