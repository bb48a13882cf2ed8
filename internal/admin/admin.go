// Package admin is the engine's server-rendered admin UI, served at /admin:
// tenants and API keys, providers, templates, activity, outbox and the
// pre-flight checklist that the integration guide sends people to.
//
// Pages are html/template with embedded CSS and a little vanilla JS. Sign-in
// is with the admin token; a session is a row in admin_sessions named by a
// random cookie, and every form carries the session's CSRF token.
package admin

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/secret"
	"github.com/orqestra/orqestra/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// tokenSetting is where the hash of a generated admin token is kept.
const tokenSetting = "admin_token_hash"

// minTokenLen is the shortest configured admin token accepted: anything
// shorter is guessable by a patient attacker despite the sign-in limiter.
const minTokenLen = 16

// Deps is what the admin UI needs from the engine.
type Deps struct {
	Store      *store.Store
	Dispatcher *dispatch.Dispatcher
	// Keys is the API key cache, flushed when keys or tenants change here so
	// the change applies at once in this process.
	Keys *access.Directory
	// Secrets seals and opens provider configs.
	Secrets *secret.Box
	// Token is the configured admin token (ORQESTRA_ADMIN_TOKEN). When empty,
	// one is generated on first start, its hash kept in settings, and the
	// token itself logged once.
	Token string
	Log   *slog.Logger
	// Now may be nil (time.Now).
	Now func() time.Time
	// SessionTTL bounds a session's life (default 12 h).
	SessionTTL time.Duration
}

// Handler serves the admin UI under /admin/.
type Handler struct {
	deps      Deps
	log       *slog.Logger
	now       func() time.Time
	mux       *http.ServeMux
	pages     map[string]*template.Template
	static    http.Handler
	tokenHash []byte // set when the token is configured; else read from settings
	limiter   *signInLimiter
}

// New builds the admin UI. With no configured token it makes sure one exists,
// logging a newly generated one once.
func New(ctx context.Context, d Deps) (*Handler, error) {
	if d.Store == nil || d.Dispatcher == nil || d.Secrets == nil {
		return nil, errors.New("admin: store, dispatcher and secrets are required")
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.SessionTTL <= 0 {
		d.SessionTTL = 12 * time.Hour
	}
	h := &Handler{deps: d, log: d.Log, now: d.Now, mux: http.NewServeMux(), limiter: newSignInLimiter(10, 5*time.Minute)}
	if d.Token != "" {
		if len(d.Token) < minTokenLen {
			return nil, fmt.Errorf("admin: ORQESTRA_ADMIN_TOKEN must be at least %d characters", minTokenLen)
		}
		sum := sha256.Sum256([]byte(d.Token))
		h.tokenHash = sum[:]
	} else if err := h.ensureToken(ctx); err != nil {
		return nil, err
	}
	var err error
	if h.pages, err = parsePages(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("admin: static: %w", err)
	}
	h.static = http.StripPrefix("/admin/static/", http.FileServerFS(sub))
	h.routes()
	return h, nil
}

// ServeHTTP serves every admin route with the security headers set.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Scripts only from our own files. Inline styles are allowed because the
	// email preview shows the tenant's HTML (inline-styled, as email HTML is)
	// in a sandboxed srcdoc frame, which inherits this policy.
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "+
		"frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.mux.ServeHTTP(w, r)
}

// ensureToken generates the admin token on first start. Concurrent first
// starts agree on one stored hash; only the node whose token won logs it.
func (h *Handler) ensureToken(ctx context.Context) error {
	if _, err := h.deps.Store.Setting(ctx, tokenSetting); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("admin: %w", err)
	}
	token, hash, err := newToken()
	if err != nil {
		return err
	}
	stored, err := h.deps.Store.EnsureSetting(ctx, tokenSetting, hash)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	if stored == hash {
		// Shown this once, as asked for by the first-start flow: the hash
		// alone is kept. "orqestra admin reset-token" makes a new one.
		h.log.Warn("generated the admin UI token; it is shown only this once (set ORQESTRA_ADMIN_TOKEN or run 'orqestra admin reset-token' to change it)",
			"admin_token", token, "path", "/admin/")
	}
	return nil
}

// ResetToken replaces the stored admin token with a new one, signs every
// session out, and returns the new token (to show once). A configured
// ORQESTRA_ADMIN_TOKEN still wins over it.
func ResetToken(ctx context.Context, s *store.Store) (string, error) {
	token, hash, err := newToken()
	if err != nil {
		return "", err
	}
	if err := s.PutSetting(ctx, tokenSetting, hash); err != nil {
		return "", fmt.Errorf("admin: reset token: %w", err)
	}
	if err := s.DeleteAdminSessions(ctx); err != nil {
		return "", fmt.Errorf("admin: reset token: %w", err)
	}
	return token, nil
}

func newToken() (token, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("admin: generate token: %w", err)
	}
	token = "orqadm_" + base64.RawURLEncoding.EncodeToString(b[:])
	sum := sha256.Sum256([]byte(token))
	return token, hex.EncodeToString(sum[:]), nil
}

// randomString returns n random bytes, URL-safe base64 encoded.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// signInLimiter bounds failed sign-ins per client address, so a configured
// token cannot be guessed at network speed.
type signInLimiter struct {
	max    int
	window time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time
}

func newSignInLimiter(max int, window time.Duration) *signInLimiter {
	return &signInLimiter{max: max, window: window, failures: map[string][]time.Time{}}
}

// allowed says whether addr may try again now.
func (l *signInLimiter) allowed(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(addr, now)) < l.max
}

// fail records a failed attempt from addr.
func (l *signInLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.failures) > 10_000 {
		clear(l.failures) // bound memory under a flood of addresses
	}
	l.failures[addr] = append(l.recent(addr, now), now)
}

func (l *signInLimiter) recent(addr string, now time.Time) []time.Time {
	list := l.failures[addr]
	i := 0
	for i < len(list) && now.Sub(list[i]) > l.window {
		i++
	}
	list = list[i:]
	if len(list) == 0 {
		delete(l.failures, addr)
		return nil
	}
	l.failures[addr] = list
	return list
}
