// Package httpapi serves Orqestra's HTTP API: the seed's /api/v1 contract,
// health, and the realtime WebSocket endpoint.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/realtime"
	"github.com/orqestra/orqestra/internal/store"
)

// MaxBodyBytes limits request bodies.
const MaxBodyBytes = 1 << 20

// KeyAuthenticator resolves an API key to its active tenant.
type KeyAuthenticator interface {
	Authenticate(ctx context.Context, key string) (store.Tenant, error)
}

// RateLimiter limits triggers per tenant.
type RateLimiter interface {
	Allow(ctx context.Context, key string, perMinute int) (bool, time.Duration, error)
}

// Deps is everything the HTTP API uses, built by the engine.
type Deps struct {
	Log        *slog.Logger
	Store      *store.Store
	Keys       KeyAuthenticator
	Limiter    RateLimiter
	Dispatcher *dispatch.Dispatcher
	Tokens     *realtime.Tokens
	// Realtime serves /connection/websocket.
	Realtime http.Handler
	// CORSOrigins are browser origins allowed on every tenant ("*" for any).
	CORSOrigins []string
	// Health reports whether the engine can serve (database reachable).
	Health func(ctx context.Context) error
	// Extra routes (pattern → handler) mounted beside the API: SDK bundle,
	// demo, metrics, admin.
	Extra map[string]http.Handler
	// Metrics, when set, is told the status and duration of every trigger.
	Metrics TriggerRecorder
	Now     func() time.Time
}

// TriggerRecorder counts answered triggers (metrics). It is called on the hot
// path, so implementations must be cheap and non-blocking.
type TriggerRecorder interface {
	ObserveTrigger(status int, d time.Duration)
}

// Server is the HTTP API.
type Server struct {
	deps Deps
	log  *slog.Logger
	mux  *http.ServeMux
	now  func() time.Time

	originsMu      sync.Mutex
	tenantOrigins  map[string]bool
	originsFetched time.Time
}

// NewServer returns the API handler.
func NewServer(deps Deps) *Server {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	s := &Server{deps: deps, log: deps.Log, mux: http.NewServeMux(), now: deps.Now}
	s.routes()
	return s
}

// ServeHTTP serves a request through the common middleware.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.withTrace(s.mux).ServeHTTP(w, r)
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.deps.Health != nil {
		if err := s.deps.Health(r.Context()); err != nil {
			s.log.ErrorContext(r.Context(), "health check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// originAllowed reports whether a browser origin may call the API for
// tenantID ("" = for any tenant, as on the WebSocket before its token is read).
func (s *Server) originAllowed(ctx context.Context, origin, tenantID string) bool {
	if origin == "" {
		return false
	}
	if slices.Contains(s.deps.CORSOrigins, "*") || slices.Contains(s.deps.CORSOrigins, origin) {
		return true
	}
	if tenantID != "" {
		t, err := s.deps.Store.Tenant(ctx, tenantID)
		return err == nil && t.Active && slices.Contains(t.CORSOrigins, origin)
	}
	return s.anyTenantOrigin(ctx, origin)
}

// anyTenantOrigin checks the union of every tenant's origins, cached briefly.
func (s *Server) anyTenantOrigin(ctx context.Context, origin string) bool {
	s.originsMu.Lock()
	defer s.originsMu.Unlock()
	if s.tenantOrigins == nil || s.now().Sub(s.originsFetched) > 10*time.Second {
		tenants, err := s.deps.Store.Tenants(ctx)
		if err != nil {
			s.log.WarnContext(ctx, "loading tenant origins", "err", err)
			return false
		}
		s.tenantOrigins = map[string]bool{}
		for _, t := range tenants {
			if t.Active {
				for _, o := range t.CORSOrigins {
					s.tenantOrigins[o] = true
				}
			}
		}
		s.originsFetched = s.now()
	}
	return s.tenantOrigins[origin]
}

// CheckOrigin is the WebSocket origin check: requests without an Origin
// header (servers, native apps) and same-host pages pass; browsers on other
// origins must be on the allowed list.
func (s *Server) CheckOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://"); strings.EqualFold(host, r.Host) {
		return true
	}
	return s.originAllowed(r.Context(), origin, "")
}
