package httpapi

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/orqestra/orqestra/internal/access"
	"github.com/orqestra/orqestra/internal/realtime"
	"github.com/orqestra/orqestra/internal/store"
	"github.com/orqestra/orqestra/internal/trace"
)

// principal is who is calling: a tenant's backend (API key, any user) or one
// user of a tenant (Bearer user token).
type principal struct {
	tenant store.Tenant
	userID string // "" for an API key
}

type principalKey struct{}

func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Hijack lets the WebSocket upgrade take over the connection.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijacking not supported")
	}
	w.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

// Flush passes flushes through.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController and the WebSocket upgrade reach the
// underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withTrace takes X-Trace-Id (or makes one), echoes it, puts it in the
// context for every log line of the request, logs the request, and records
// triggers' status and duration in the metrics (authentication failures and
// rate limiting included). It is the one place that wraps the writer and
// times a request.
func (s *Server) withTrace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Trace-Id")
		if !trace.Valid(id) {
			id = trace.NewID()
		}
		w.Header().Set("X-Trace-Id", id)
		ctx := trace.WithID(r.Context(), id)
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		routed := r.WithContext(ctx)
		next.ServeHTTP(sw, routed) // the mux sets routed.Pattern
		elapsed := time.Since(start)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		if s.deps.Metrics != nil && routed.Pattern == triggerRoute {
			s.deps.Metrics.ObserveTrigger(sw.status, elapsed)
		}
		level := s.accessLevel(sw.status)
		if s.log.Enabled(ctx, level) {
			s.log.Log(ctx, level, "request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "duration_ms", float64(elapsed.Microseconds())/1000)
		}
	})
}

// accessLevel keeps successful requests out of the default log (they are
// counted by metrics), and shows client and server errors.
func (s *Server) accessLevel(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// requireKey authenticates x-api-key.
func (s *Server) requireKey(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := s.deps.Keys.Authenticate(r.Context(), r.Header.Get("x-api-key"))
		if err != nil {
			s.authFailed(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{tenant: t})))
	})
}

// requirePrincipal accepts x-api-key or Authorization: Bearer <user token>.
func (s *Server) requirePrincipal(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" {
			s.requireKey(next).ServeHTTP(w, r)
			return
		}
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || token == "" {
			writeError(w, http.StatusUnauthorized, msgInvalidKey)
			return
		}
		c, err := s.deps.Tokens.Verify(strings.TrimSpace(token))
		if err != nil {
			msg := "Invalid user token"
			if errors.Is(err, realtime.ErrTokenExpired) {
				msg = "User token expired"
			}
			writeError(w, http.StatusUnauthorized, msg)
			return
		}
		t, err := s.deps.Store.Tenant(r.Context(), c.Tenant)
		if err != nil || !t.Active {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				s.writeErr(w, r, err)
				return
			}
			writeError(w, http.StatusUnauthorized, "Invalid user token")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, principal{tenant: t, userID: c.Subject})))
	})
}

func (s *Server) authFailed(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, access.ErrInvalidKey) {
		writeError(w, http.StatusUnauthorized, msgInvalidKey)
		return
	}
	s.writeErr(w, r, err)
}

// cors answers preflights and sets CORS headers for allowed origins on the
// browser-facing routes. next == nil serves only the preflight.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		allowed := origin != "" && s.originAllowed(r.Context(), origin, r.PathValue("tenantId"))
		if allowed {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "X-Trace-Id, Retry-After")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			if !allowed {
				writeError(w, http.StatusForbidden, "Origin not allowed")
				return
			}
			h := w.Header()
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Trace-Id")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads a request body up to MaxBodyBytes, answering 413 or 422
// itself when it cannot.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.ContentLength > MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, []string{"request body must not exceed 1 MiB"})
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, []string{"request body must not exceed 1 MiB"})
			return nil, false
		}
		writeProblems(w, "request body could not be read")
		return nil, false
	}
	return body, true
}

// validSignature checks X-Orqestra-Signature: lowercase or uppercase hex
// HMAC-SHA256 of the raw body, compared in constant time.
func validSignature(secret string, body []byte, header string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(strings.TrimPrefix(header, "sha256=")))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
