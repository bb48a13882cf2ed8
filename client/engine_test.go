package client_test

// STAND-IN until internal/enginetest lands on main: a small engine with the
// contract's trigger (API key, HMAC, idempotency replay), history, mark-read
// and realtime-token. startEngine is the one place to switch to the real one.

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type testEngine struct {
	URL      string
	TenantID string
	APIKey   string
}

type standIn struct {
	mu     sync.Mutex
	secret string
	key    string
	tenant string
	idem   map[string][]byte // key → body
	notes  []map[string]any
	seq    int
}

func startEngine(t *testing.T, secret string) testEngine {
	t.Helper()
	e, stop := startStandIn(secret)
	t.Cleanup(stop)
	return e
}

func startStandIn(secret string) (testEngine, func()) {
	s := &standIn{secret: secret, key: "ok_test_key", tenant: "t1", idem: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/events/trigger", s.trigger)
	mux.HandleFunc("POST /api/v1/auth/realtime-token", s.token)
	mux.HandleFunc("GET /api/v1/notifications/{tenant}/{user}", s.history)
	mux.HandleFunc("PUT /api/v1/notifications/{tenant}/{user}/{id}/read", s.read)
	srv := httptest.NewServer(mux)
	return testEngine{URL: srv.URL, TenantID: s.tenant, APIKey: s.key}, srv.Close
}

func fail(w http.ResponseWriter, status int, msg any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"statusCode": status, "message": msg, "error": http.StatusText(status)})
}

func (s *standIn) trigger(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-api-key") != s.key {
		fail(w, 401, "Invalid or inactive API key")
		return
	}
	body, _ := io.ReadAll(r.Body)
	if s.secret != "" {
		m := hmac.New(sha256.New, []byte(s.secret))
		m.Write(body)
		if !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Orqestra-Signature"))) {
			fail(w, 401, "Invalid signature")
			return
		}
	}
	var in struct {
		EventType string                  `json:"eventType"`
		Payload   struct{ UserID string } `json:"payload"`
		Variables map[string]any          `json:"variables"`
	}
	json.Unmarshal(body, &in)
	var probs []string
	if in.EventType == "" {
		probs = append(probs, "eventType must be a string")
	}
	if in.Payload.UserID == "" {
		probs = append(probs, "payload.userId must be a string")
	}
	if len(probs) > 0 {
		fail(w, 422, probs)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := r.Header.Get("X-Idempotency-Key")
	if prev, ok := s.idem[key]; ok && key != "" {
		if string(prev) != string(body) {
			fail(w, 422, []string{"idempotency key reused with another body"})
			return
		}
	} else {
		s.idem[key] = body
		s.seq++
		s.notes = append(s.notes, map[string]any{
			"id": fmt.Sprint("n", s.seq), "type": "PUSH", "title": in.Variables["title"], "body": in.Variables["message"],
			"status": "UNREAD", "created_at": time.Now().UTC().Format(time.RFC3339), "category": "general",
			"eventType": in.EventType, "user": in.Payload.UserID,
		})
	}
	json.NewEncoder(w).Encode(map[string]any{"success": true, "message": "Event " + in.EventType + " dispatched securely for Acme", "eventId": "e1"})
}

func (s *standIn) token(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-api-key") != s.key {
		fail(w, 401, "Invalid or inactive API key")
		return
	}
	var in struct{ UserID string }
	json.NewDecoder(r.Body).Decode(&in)
	json.NewEncoder(w).Encode(map[string]any{"token": "tok-" + in.UserID, "channels": []string{"notifications:" + s.tenant + "#" + in.UserID}})
}

func (s *standIn) history(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var data []map[string]any
	unread := 0
	for i := len(s.notes) - 1; i >= 0; i-- {
		if n := s.notes[i]; n["user"] == r.PathValue("user") {
			data = append(data, n)
			if n["status"] == "UNREAD" {
				unread++
			}
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"success": true, "data": data, "nextCursor": "", "unreadCount": unread})
}

func (s *standIn) read(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.notes {
		if n["id"] == r.PathValue("id") {
			n["status"] = "READ"
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"success": true})
}
