// Package enginetest starts a real engine for tests: a real listener on
// 127.0.0.1, a temporary SQLite file, River workers and the realtime node.
package enginetest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/dbtest"
	"github.com/orqestra/orqestra/internal/engine"
	"github.com/orqestra/orqestra/internal/store"
	"github.com/orqestra/orqestra/internal/trace"
)

// Engine is a running engine under test.
type Engine struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Addr is the listen address (host:port).
	Addr string
	// Store is the engine's database, for assertions.
	Store *store.Store
	// Engine is the engine itself.
	Engine *engine.Engine
	// Config is the configuration it runs with.
	Config config.Config

	stop func() error
}

// Option changes the engine's configuration or environment.
type Option func(*options)

type options struct {
	cfg func(*config.Config)
	log io.Writer
}

// WithConfig edits the configuration before the engine starts.
func WithConfig(f func(*config.Config)) Option { return func(o *options) { o.cfg = f } }

// WithLog sends the engine's log (JSON lines, debug level) to w.
func WithLog(w io.Writer) Option { return func(o *options) { o.log = w } }

// PostgresEnv, when set to any value, makes Start use PostgreSQL (from
// ORQESTRA_TEST_POSTGRES_URL) instead of a SQLite file, so every
// whole-server test can also run against the scaled-out store.
const PostgresEnv = "ORQESTRA_TEST_ENGINE_POSTGRES"

// Start starts an engine that stops when the test ends.
func Start(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg := config.Default()
	cfg.DatabaseURL = "sqlite:" + filepath.Join(t.TempDir(), "orqestra.db")
	if os.Getenv(PostgresEnv) != "" {
		// The same whole-server tests, on PostgreSQL (a fresh schema each).
		cfg.DatabaseURL = dbtest.Schema(t)
	}
	cfg.CacheTTL = 0 // tests change tenants from other handles and expect it at once
	cfg.ShutdownTimeout = 5 * time.Second
	if o.cfg != nil {
		o.cfg(&cfg)
	}
	var w io.Writer = io.Discard
	if o.log != nil {
		w = o.log
	} else if os.Getenv("ORQESTRA_TEST_LOG") != "" {
		w = os.Stderr
	}
	log := slog.New(trace.Handler(slog.NewJSONHandler(&lockedWriter{w: w}, &slog.HandlerOptions{Level: slog.LevelDebug})))

	ctx, cancel := context.WithCancel(context.Background())
	eng, err := engine.New(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("enginetest: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatalf("enginetest: listen: %v", err)
	}
	cfg.Addr = ln.Addr().String()
	e := &Engine{URL: "http://" + ln.Addr().String(), Addr: ln.Addr().String(), Store: eng.Store, Engine: eng, Config: cfg}
	done := make(chan error, 1)
	go func() { done <- eng.Serve(ctx, ln) }()
	e.stop = sync.OnceValue(func() error {
		// Keep-alive connections from the test's client would hold the
		// HTTP server's graceful shutdown open.
		http.DefaultClient.CloseIdleConnections()
		cancel()
		return <-done
	})
	t.Cleanup(func() {
		if err := e.stop(); err != nil {
			t.Errorf("enginetest: engine stopped with: %v", err)
		}
	})
	waitHealthy(t, e.URL)
	return e
}

func waitHealthy(t testing.TB, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("enginetest: %s/healthz not healthy after 10s", url)
}

// Tenant describes a tenant to create.
type Tenant struct {
	Name          string
	WebhookSecret string
	// RateLimit per minute; 0 means the default (100), -1 unlimited.
	RateLimit   int
	CORSOrigins []string
}

// CreateTenant creates an active tenant and returns its id and API key.
func (e *Engine) CreateTenant(t testing.TB, tn Tenant) (tenantID, apiKey string) {
	t.Helper()
	if tn.Name == "" {
		tn.Name = "Acme"
	}
	limit := tn.RateLimit
	switch {
	case limit == 0:
		limit = access.DefaultRateLimit
	case limit < 0:
		limit = 0
	}
	tenant, key, err := access.CreateTenant(context.Background(), e.Store, access.NewTenant{
		Name: tn.Name, WebhookSecret: tn.WebhookSecret, RateLimit: limit, CORSOrigins: tn.CORSOrigins,
	}, time.Now())
	if err != nil {
		t.Fatalf("enginetest: create tenant: %v", err)
	}
	return tenant.ID, key
}

// Stop shuts the engine down gracefully, as the end of the test would, so a
// test can start another engine on the same database (a restart). Stopping
// twice is harmless.
func (e *Engine) Stop(t testing.TB) {
	t.Helper()
	if err := e.stop(); err != nil {
		t.Errorf("enginetest: engine stopped with: %v", err)
	}
}

// WebsocketURL is the realtime endpoint.
func (e *Engine) WebsocketURL() string { return "ws://" + e.Addr + "/connection/websocket" }

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
