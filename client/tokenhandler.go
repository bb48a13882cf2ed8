package client

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxTokenRequestBytes bounds the browser's {"userId"} body.
const maxTokenRequestBytes = 4 << 10

// TokenHandler returns an http.Handler for the host backend to mount (for
// example at /orqestra/token) so that logged-in browser users get their own
// user token without the API key ever reaching the browser.
//
// identify tells who is logged in, from the host's own session (a cookie,
// a session store); ok false means nobody is. The handler answers POST only:
//   - no logged-in user: 401;
//   - a JSON body whose "userId" differs from the session's user: 403 (the
//     token is always for the session's user, never for the body's);
//   - otherwise 200 with {"token": "...", "channels": [...]}, not cacheable.
//
// Engine failures answer 502 without detail; they are logged through the
// Client's logger. The API key appears in no answer.
func (c *Client) TokenHandler(identify func(r *http.Request) (userID string, ok bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writeJSONError(w, http.StatusMethodNotAllowed, "use POST")
			return
		}
		userID, ok := identify(r)
		if !ok || userID == "" {
			writeJSONError(w, http.StatusUnauthorized, "not logged in")
			return
		}
		var body struct {
			UserID *string `json:"userId"`
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxTokenRequestBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSONError(w, http.StatusRequestEntityTooLarge, "request body too large")
				return
			}
			writeJSONError(w, http.StatusBadRequest, "unreadable request body")
			return
		}
		if len(strings.TrimSpace(string(data))) > 0 {
			if err := json.Unmarshal(data, &body); err != nil {
				writeJSONError(w, http.StatusBadRequest, "request body must be JSON like {\"userId\":\"...\"}")
				return
			}
		}
		if body.UserID != nil && *body.UserID != userID {
			writeJSONError(w, http.StatusForbidden, "userId does not match the logged-in user")
			return
		}
		tok, err := c.RealtimeToken(r.Context(), userID)
		if err != nil {
			c.log.ErrorContext(r.Context(), "orqestra: token handler: engine refused a user token", "error", err.Error())
			writeJSONError(w, http.StatusBadGateway, "notification service unavailable")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(tok)
	})
}

// writeJSONError answers in the engine's error shape so the browser SDK
// reads host and engine errors alike.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"statusCode": status,
		"message":    msg,
		"error":      http.StatusText(status),
	})
}
