// Package engine wires Orqestra together: store, queue, realtime node,
// dispatcher and HTTP API. It is the one place that builds them.
package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/admin"
	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/demo"
	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/httpapi"
	"github.com/orqestra/orqestra/internal/metrics"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/ratelimit"
	"github.com/orqestra/orqestra/internal/realtime"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
	"github.com/orqestra/orqestra/web/sdk"
)

// Engine is a running Orqestra node.
type Engine struct {
	Config     config.Config
	Store      *store.Store
	Hub        *realtime.Hub
	Queue      *delivery.Queue
	Committer  *dispatch.Committer
	Dispatcher *dispatch.Dispatcher
	Keys       *access.Directory
	Tokens     *realtime.Tokens
	API        *httpapi.Server
	Admin      *admin.Handler
	// Secrets seals and opens provider configs (ORQESTRA_SECRET_KEY).
	Secrets *secret.Box
	// Providers resolves a tenant's delivery providers for the workers.
	Providers *provider.Resolver
	// Metrics is served at /metrics.
	Metrics *metrics.Metrics

	log     *slog.Logger
	redis   *redis.Client // rate limits; nil without ORQESTRA_REDIS_URL
	handler http.Handler
	stop    context.CancelFunc
	bg      chan struct{}
}

// New builds an engine from cfg: it opens and migrates the database and
// prepares every component, without serving yet.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *Engine, err error) {
	e := &Engine{Config: cfg, log: log}
	defer func() {
		if err != nil {
			if e.redis != nil {
				e.redis.Close()
			}
			e.closeStore()
		}
	}()
	if e.Store, err = store.Open(ctx, cfg.DatabaseURL, log); err != nil {
		return nil, err
	}
	tokenSecret, err := e.secret(ctx, "token_secret", cfg.TokenSecret)
	if err != nil {
		return nil, err
	}
	if e.Tokens, err = realtime.NewTokens([]byte(tokenSecret), nil); err != nil {
		return nil, err
	}
	e.Tokens = e.Tokens.WithTTL(cfg.TokenTTL)

	if e.Secrets, err = provider.LoadKey(ctx, e.Store, cfg.SecretKey, log); err != nil {
		return nil, err
	}
	e.Providers = provider.NewResolver(provider.ResolverConfig{
		Store: e.Store, Box: e.Secrets, Outbox: &delivery.Outbox{Store: e.Store, Now: time.Now}, TTL: cfg.CacheTTL, Log: log,
	})
	e.Metrics = metrics.New()
	worker := delivery.NewWorker(e.Store, e.Providers,
		delivery.RetryPolicy{MaxAttempts: cfg.DeliveryMaxAttempts, Window: cfg.DeliveryRetryWindow}, log, nil)
	worker.Recorder = e.Metrics
	if e.Queue, err = delivery.NewQueue(e.Store, worker, delivery.QueueConfig{
		Workers: cfg.DeliveryWorkers,
		// Running deliveries get most of the shutdown time to finish; the
		// rest are cancelled and put back, so they run again on restart.
		SoftStopTimeout: cfg.ShutdownTimeout * 2 / 3,
		RescueAfter:     cfg.DeliveryRescueAfter,
	}, log); err != nil {
		return nil, err
	}
	e.Keys = access.NewDirectory(e.Store, cfg.CacheTTL, nil)

	var api *httpapi.Server
	if e.Hub, err = realtime.NewHub(realtime.Config{
		HistorySize: cfg.HistorySize,
		HistoryTTL:  cfg.HistoryTTL,
		RedisURL:    cfg.RedisURL,
		CheckOrigin: func(r *http.Request) bool { return api.CheckOrigin(r) },
	}, e.Tokens, log); err != nil {
		return nil, err
	}
	// One node keeps rate limits in memory; several share them in Redis.
	var limiter httpapi.RateLimiter = ratelimit.NewMemory(nil)
	if cfg.RedisURL != "" {
		opts, err := redis.ParseURL(cfg.RedisURL)
		if err != nil {
			return nil, errors.New("engine: ORQESTRA_REDIS_URL is not a valid redis:// URL")
		}
		// A sick Redis must not hold triggers: the limiter fails open fast.
		opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = time.Second, 500*time.Millisecond, 500*time.Millisecond
		opts.MaxRetries = 1
		e.redis = redis.NewClient(opts)
		limiter = ratelimit.NewRedis(e.redis, "orqestra:ratelimit:")
	}
	e.Metrics.QueueDepth(e.Store.QueueDepth)
	e.Metrics.Gauge("orqestra_realtime_clients", "WebSocket clients connected to this node.", func() float64 { return float64(e.Hub.Connections()) })
	e.Committer = dispatch.NewCommitter(e.Store, e.Queue, 0, log)
	e.Dispatcher = dispatch.New(dispatch.Config{
		Store: e.Store, Committer: e.Committer, Publisher: e.Hub, TemplateTTL: cfg.CacheTTL, Log: log,
	})
	if e.Admin, err = admin.New(ctx, admin.Deps{
		Store: e.Store, Dispatcher: e.Dispatcher, Keys: e.Keys, Secrets: e.Secrets, Token: cfg.AdminToken, Log: log,
	}); err != nil {
		return nil, err
	}
	api = httpapi.NewServer(httpapi.Deps{
		Log:         log,
		Store:       e.Store,
		Keys:        e.Keys,
		Limiter:     limiter,
		Dispatcher:  e.Dispatcher,
		Tokens:      e.Tokens,
		Realtime:    e.Hub.WebsocketHandler(),
		CORSOrigins: cfg.CORSOrigins,
		Health:      func(ctx context.Context) error { return e.Store.Read.PingContext(ctx) },
		Extra:       e.extraRoutes(),
		Metrics:     e.Metrics,
	})
	e.API = api
	e.handler = api
	return e, nil
}

// secret returns the configured value, or the one kept in the database
// (generated on first start).
func (e *Engine) secret(ctx context.Context, name, configured string) (string, error) {
	if configured != "" {
		return configured, nil
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("engine: generate %s: %w", name, err)
	}
	return e.Store.EnsureSetting(ctx, name, base64.RawStdEncoding.EncodeToString(b[:]))
}

// Handler is the engine's HTTP handler.
func (e *Engine) Handler() http.Handler { return e.handler }

// Start runs the realtime node, the delivery workers and housekeeping.
func (e *Engine) Start(ctx context.Context) error {
	if err := e.Hub.Run(); err != nil {
		return fmt.Errorf("engine: realtime: %w", err)
	}
	if err := e.Queue.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("engine: delivery queue: %w", err)
	}
	bgCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stop = cancel
	e.bg = make(chan struct{})
	go e.housekeeping(bgCtx)
	return nil
}

// checkpointEvery is how often housekeeping checkpoints a SQLite WAL. The
// writer never checkpoints itself (see store.Open), so this bounds the WAL: at
// 1,000 PUSH events/s a tenth of a second adds a few hundred pages, which a
// PASSIVE checkpoint copies in well under a millisecond beside the writer.
const checkpointEvery = 100 * time.Millisecond

// housekeeping purges expired idempotency keys and, on SQLite, checkpoints
// the WAL.
func (e *Engine) housekeeping(ctx context.Context) {
	defer close(e.bg)
	var checkpoints <-chan time.Time // PostgreSQL checkpoints itself
	if !e.Store.Postgres() {
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		checkpoints = t.C
	}
	purge := time.NewTicker(10 * time.Minute)
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-checkpoints:
			if err := e.Store.Checkpoint(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("WAL checkpoint failed", "err", err)
			}
		case <-purge.C:
			n, err := e.Store.PurgeIdempotency(ctx, time.Now().Add(-dispatch.IdempotencyWindow))
			if err != nil && ctx.Err() == nil {
				e.log.Warn("purging idempotency keys failed", "err", err)
			} else if n > 0 {
				e.log.Info("purged expired idempotency keys", "count", n)
			}
		}
	}
}

// Shutdown stops the engine after the HTTP server has stopped taking
// requests: commits what is queued, lets running deliveries finish, closes
// WebSockets and the database.
func (e *Engine) Shutdown(ctx context.Context) error {
	var errs []error
	e.Committer.Close()
	if e.stop != nil {
		e.stop()
		<-e.bg
	}
	if err := e.Queue.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		errs = append(errs, fmt.Errorf("delivery queue: %w", err))
	}
	if err := e.Hub.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("realtime: %w", err))
	}
	if e.redis != nil {
		errs = append(errs, e.redis.Close())
	}
	errs = append(errs, e.closeStore())
	return errors.Join(errs...)
}

func (e *Engine) closeStore() error {
	if e.Store == nil {
		return nil
	}
	err := e.Store.Close()
	e.Store = nil
	return err
}

// Serve serves HTTP on ln until ctx is done, then shuts everything down
// gracefully within the configured timeout.
func (e *Engine) Serve(ctx context.Context, ln net.Listener) error {
	if err := e.Start(ctx); err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           e.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	e.log.Info("orqestra listening", "addr", ln.Addr().String(), "database", e.Store.Name(), "redis", e.Config.RedisURL != "")
	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	e.log.Info("shutting down")
	// First drain HTTP: in-flight triggers finish and are answered. After the
	// budget, close what is left (including connections a client dialed but
	// never used, which Shutdown otherwise waits on).
	hctx, cancel := context.WithTimeout(context.Background(), e.Config.ShutdownTimeout)
	if err := srv.Shutdown(hctx); err != nil {
		e.log.Warn("closing connections still open after the shutdown timeout", "err", err)
		srv.Close()
	}
	cancel()
	// Then the rest, with its own budget: commit queued writes, let running
	// deliveries finish, close WebSockets and the database.
	ectx, cancel := context.WithTimeout(context.Background(), e.Config.ShutdownTimeout)
	defer cancel()
	if err := errors.Join(serveErr, e.Shutdown(ectx)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	e.log.Info("stopped")
	return nil
}

// extraRoutes are the non-API routes mounted beside the API.
func (e *Engine) extraRoutes() map[string]http.Handler {
	routes := map[string]http.Handler{
		"GET /sdk/orqestra.js": http.HandlerFunc(serveBundle),
		"/admin/":              e.Admin,
		// Counts and latencies only: no tenant ids, user ids or secrets.
		"GET /metrics": requireBearer(e.Config.MetricsToken, e.Metrics.Handler()),
	}
	if e.Config.Demo {
		for pattern, h := range demo.New(e.Store, e.Dispatcher, e.Tokens, e.log).Routes() {
			routes[pattern] = h
		}
	}
	return routes
}

// serveBundle serves the browser SDK (the <orqestra-bell> element and the
// realtime client). Host pages load it cross-origin as a module script, which
// needs CORS; it holds no secret.
func serveBundle(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "orqestra.js", bundleTime, bytes.NewReader(sdk.Bundle))
}

// bundleTime is the bundle's Last-Modified: the process start, so a restart
// with a new bundle invalidates caches.
var bundleTime = time.Now()

// requireBearer guards h with a bearer token compared in constant time; an
// empty token leaves h open.
func requireBearer(token string, h http.Handler) http.Handler {
	if token == "" {
		return h
	}
	want := sha256.Sum256([]byte("Bearer " + token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}
