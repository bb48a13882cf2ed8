package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/store"
)

// errorBody is the seed's error shape. Message is a string or, for
// validation problems, an array of strings.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Message    any    `json:"message"`
	Error      string `json:"error"`
	RetryAfter *int   `json:"retryAfter,omitempty"`
}

const msgInvalidKey = "Invalid or inactive API key"

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"statusCode":500,"message":"Internal server error","error":"Internal Server Error"}`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, status int, message any) {
	writeJSON(w, status, errorBody{StatusCode: status, Message: message, Error: http.StatusText(status)})
}

func writeProblems(w http.ResponseWriter, messages ...string) {
	writeError(w, http.StatusUnprocessableEntity, messages)
}

func writeRateLimited(w http.ResponseWriter, limit int, wait time.Duration) {
	secs := int((wait + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, errorBody{
		StatusCode: http.StatusTooManyRequests,
		Error:      http.StatusText(http.StatusTooManyRequests),
		Message:    "Rate limit exceeded. Limit: " + strconv.Itoa(limit) + "/min",
		RetryAfter: &secs,
	})
}

// writeErr maps an error from a use case to its HTTP answer. It is the one
// place where errors become status codes.
func (s *Server) writeErr(w http.ResponseWriter, r *http.Request, err error) {
	var verr *dispatch.ValidationError
	var conflict *dispatch.ConflictError
	switch {
	case errors.As(err, &verr):
		writeProblems(w, verr.Messages...)
	case errors.As(err, &conflict):
		writeError(w, http.StatusConflict, []string{conflict.Error()})
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "Not found")
	case errors.Is(err, dispatch.ErrClosed):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "Server is shutting down; retry")
	default:
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "Internal server error")
	}
}
