// Package demo serves /demo: a page where a developer sees a live
// <orqestra-bell> for a sample user and sends test notifications to it,
// without handling any API key. It runs on its own "Demo" tenant, created on
// first use, and can be switched off with ORQESTRA_DEMO=false.
package demo

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/realtime"
	"github.com/orqestra/orqestra/internal/store"
)

// UserID is the sample user the demo bell belongs to.
const UserID = "demo-user"

const settingTenant = "demo_tenant_id"

//go:embed demo.html
var pageHTML string

var page = template.Must(template.New("demo").Parse(pageHTML))

// Handler serves the demo page and its two endpoints.
type Handler struct {
	store      *store.Store
	dispatcher *dispatch.Dispatcher
	tokens     *realtime.Tokens
	log        *slog.Logger

	mu     sync.Mutex
	tenant *store.Tenant
}

// New returns the demo handler.
func New(s *store.Store, d *dispatch.Dispatcher, tokens *realtime.Tokens, log *slog.Logger) *Handler {
	return &Handler{store: s, dispatcher: d, tokens: tokens, log: log}
}

// Routes returns the demo's routes (pattern → handler).
func (h *Handler) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /demo":        http.HandlerFunc(h.page),
		"POST /demo/token": http.HandlerFunc(h.token),
		"POST /demo/send":  http.HandlerFunc(h.send),
	}
}

// demoTenant returns the demo tenant, creating it on first use. Its id is kept
// in settings so every node and restart uses the same one.
func (h *Handler) demoTenant(ctx context.Context) (store.Tenant, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tenant != nil {
		return *h.tenant, nil
	}
	id, err := h.store.Setting(ctx, settingTenant)
	if err == nil {
		t, err := h.store.Tenant(ctx, id)
		if err == nil {
			h.tenant = &t
			return t, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Tenant{}, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Tenant{}, err
	}
	// The key is thrown away: the demo triggers in-process, never over HTTP.
	t, _, err := access.CreateTenant(ctx, h.store, access.NewTenant{Name: "Demo", RateLimit: 30}, time.Now())
	if err != nil {
		return store.Tenant{}, err
	}
	stored, err := h.store.EnsureSetting(ctx, settingTenant, t.ID)
	if err != nil {
		return store.Tenant{}, err
	}
	if stored != t.ID { // another node won the race: use its tenant
		if t, err = h.store.Tenant(ctx, stored); err != nil {
			return store.Tenant{}, err
		}
	}
	h.tenant = &t
	return t, nil
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	t, err := h.demoTenant(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
	if err := page.Execute(w, map[string]string{"TenantID": t.ID, "UserID": UserID}); err != nil {
		h.log.WarnContext(r.Context(), "demo page", "err", err)
	}
}

// token plays the host application's backend: it hands the demo user a token.
func (h *Handler) token(w http.ResponseWriter, r *http.Request) {
	t, err := h.demoTenant(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tok, _, err := h.tokens.Issue(t.ID, UserID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"token": tok, "channels": []string{realtime.Channel(t.ID, UserID)}})
}

// send triggers a global.info for the demo user, through the real dispatcher.
func (h *Handler) send(w http.ResponseWriter, r *http.Request) {
	t, err := h.demoTenant(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	body, _ := json.Marshal(map[string]any{
		"eventType": "global.info",
		"channels":  []string{"PUSH"},
		"payload":   map[string]string{"userId": UserID},
		"variables": map[string]string{"title": "Hello from Orqestra", "message": fmt.Sprintf("Test notification sent at %s", time.Now().UTC().Format("15:04:05 UTC"))},
	})
	res, err := h.dispatcher.Trigger(r.Context(), dispatch.Trigger{Tenant: t, Body: body})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(res.Response)
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log.ErrorContext(r.Context(), "demo", "err", err)
	writeJSON(w, http.StatusInternalServerError, map[string]any{"statusCode": 500, "message": "Internal server error", "error": "Internal Server Error"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
