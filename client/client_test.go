package client_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/client"
	"github.com/orqestra/orqestra/internal/enginetest"
)

// front sits between the SDK and the real engine: each attempt takes the
// next scripted fault, and once the script is used up it forwards. It
// records what every attempt carried.
type front struct {
	t       *testing.T
	srv     *httptest.Server
	proxy   *httputil.ReverseProxy
	mu      sync.Mutex
	script  []fault
	records []attempt
}

// fault answers an attempt itself; a nil fault forwards it.
type fault func(f *front, w http.ResponseWriter, r *http.Request)

type attempt struct {
	body   []byte
	header http.Header
}

func newFront(t *testing.T, engineURL string, script ...fault) *front {
	t.Helper()
	u, err := url.Parse(engineURL)
	if err != nil {
		t.Fatal(err)
	}
	f := &front{t: t, proxy: httputil.NewSingleHostReverseProxy(u), script: script}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *front) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	f.mu.Lock()
	f.records = append(f.records, attempt{body: body, header: r.Header.Clone()})
	var next fault
	if len(f.script) > 0 {
		next, f.script = f.script[0], f.script[1:]
	}
	f.mu.Unlock()
	if next == nil {
		f.proxy.ServeHTTP(w, r)
		return
	}
	next(f, w, r)
}

func (f *front) attempts() []attempt {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]attempt(nil), f.records...)
}

// answer is a fault that replies with status and a JSON body.
func answer(status int, body string, header ...string) fault {
	return func(_ *front, w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hangUp drops the connection without an answer.
func hangUp(f *front, w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		f.t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// forwardThenHangUp lets the engine process the attempt, then drops the
// connection before the caller hears the answer: the case idempotency keys
// exist for.
func forwardThenHangUp(f *front, w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	f.proxy.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		f.t.Errorf("engine answered %d before the hang-up: %s", rec.Code, rec.Body)
	}
	hangUp(f, w, r)
}

func internalError(status int) fault {
	return answer(status, `{"statusCode":500,"message":"boom","error":"Internal Server Error"}`)
}

// sleeps records the waits the SDK asks for and takes none of them.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) taken() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// logBuffer is a bytes.Buffer safe for the handler goroutines of a server.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is one engine, one front and one SDK client wired together.
type harness struct {
	engine testEngine
	front  *front
	sleeps *sleeps
	logs   *logBuffer
	c      *client.Client
}

func newHarness(t *testing.T, secret string, script ...fault) *harness {
	t.Helper()
	return newTenantHarness(t, enginetest.Tenant{WebhookSecret: secret}, script...)
}

func newTenantHarness(t *testing.T, tenant enginetest.Tenant, script ...fault) *harness {
	t.Helper()
	h := &harness{engine: startEngine(t, tenant), sleeps: &sleeps{}, logs: &logBuffer{}}
	h.front = newFront(t, h.engine.URL, script...)
	h.c = h.newClient(t, client.WithAPIKey(h.engine.APIKey), client.WithWebhookSecret(tenant.WebhookSecret))
	return h
}

func (h *harness) newClient(t *testing.T, opts ...client.Option) *client.Client {
	t.Helper()
	// No keep-alive: the transport replays a request carrying
	// X-Idempotency-Key by itself when a reused connection fails, which would
	// make the attempt counts below depend on connection reuse.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	opts = append([]client.Option{
		client.WithHTTPClient(hc),
		client.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))),
		client.WithSleep(h.sleeps.sleep),
	}, opts...)
	c, err := client.New(h.front.srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stored counts the user's in-app notifications through the public history
// API, straight at the engine.
func (h *harness) stored(t *testing.T, userID string) []client.Notification {
	t.Helper()
	c, err := client.New(h.engine.URL, client.WithAPIKey(h.engine.APIKey), client.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	page, err := c.History(context.Background(), h.engine.TenantID, userID, client.Limit(100))
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	return page.Notifications
}

func info(title string) map[string]any {
	return map[string]any{"title": title, "message": "hello " + title}
}

func equalWaits(got []time.Duration, want ...time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func TestSendSignsAndIsStored(t *testing.T) {
	t.Parallel()
	const secret = "whsec_test"
	h := newHarness(t, secret)
	res, err := h.c.SendNotification(context.Background(), "global.info", client.Payload{UserID: "u1"}, info("Welcome"),
		client.TraceID("trace-abc"))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if !strings.Contains(res.Message, "global.info") || res.EventID == "" || res.IdempotencyKey == "" {
		t.Errorf("result = %+v", res)
	}
	got := h.front.attempts()
	if len(got) != 1 {
		t.Fatalf("attempts = %d, want 1", len(got))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(got[0].body)
	if want := hex.EncodeToString(mac.Sum(nil)); got[0].header.Get("X-Orqestra-Signature") != want {
		t.Errorf("signature = %q, want %q", got[0].header.Get("X-Orqestra-Signature"), want)
	}
	if got[0].header.Get("X-Trace-Id") != "trace-abc" || got[0].header.Get("X-Idempotency-Key") != res.IdempotencyKey {
		t.Errorf("headers = %v", got[0].header)
	}
	var body map[string]any
	if err := json.Unmarshal(got[0].body, &body); err != nil {
		t.Fatal(err)
	}
	if _, ok := body["channels"]; ok {
		t.Errorf("body has channels without Channels option: %s", got[0].body)
	}
	notes := h.stored(t, "u1")
	if len(notes) != 1 || notes[0].Title != "Welcome" || notes[0].Status != "UNREAD" {
		t.Errorf("stored = %+v", notes)
	}
}

func TestSendWithoutSecretOmitsSignature(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	_, err := h.c.SendNotification(context.Background(), "global.info", client.Payload{UserID: "u1"}, info("x"),
		client.Channels(client.ChannelPush), client.IdempotencyKey("k-1"), client.EventID("ev-1"))
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	a := h.front.attempts()[0]
	if _, ok := a.header["X-Orqestra-Signature"]; ok {
		t.Errorf("signature header sent without a secret")
	}
	if a.header.Get("X-Idempotency-Key") != "k-1" {
		t.Errorf("idempotency key = %q", a.header.Get("X-Idempotency-Key"))
	}
	var body struct {
		EventID  string   `json:"eventId"`
		Channels []string `json:"channels"`
	}
	json.Unmarshal(a.body, &body)
	if body.EventID != "ev-1" || len(body.Channels) != 1 || body.Channels[0] != "PUSH" {
		t.Errorf("body = %s", a.body)
	}
}

func TestSendNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		apiKey   string
		payload  client.Payload
		status   int
		wantLogs []string
	}{
		{name: "401 bad key", apiKey: "ok_wrong", payload: client.Payload{UserID: "u1"}, status: 401,
			wantLogs: []string{"Invalid API key or inactive tenant"}},
		{name: "422 validation", payload: client.Payload{}, status: 422,
			wantLogs: []string{"userId"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "")
			c := h.c
			if tt.apiKey != "" {
				c = h.newClient(t, client.WithAPIKey(tt.apiKey), client.WithWebhookSecret(""))
			}
			_, err := c.SendNotification(context.Background(), "global.info", tt.payload, info("x"))
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %v, want APIError %d", err, tt.status)
			}
			if n := len(h.front.attempts()); n != 1 {
				t.Errorf("attempts = %d, want 1", n)
			}
			if w := h.sleeps.taken(); len(w) != 0 {
				t.Errorf("waits = %v, want none", w)
			}
			logs := h.logs.String()
			for _, want := range tt.wantLogs {
				if !strings.Contains(logs, want) {
					t.Errorf("logs lack %q:\n%s", want, logs)
				}
			}
			for _, m := range apiErr.Messages {
				if tt.status == 422 && !strings.Contains(logs, m) {
					t.Errorf("logs lack message %q:\n%s", m, logs)
				}
			}
			if strings.Contains(logs, h.engine.APIKey) {
				t.Errorf("logs contain the API key")
			}
		})
	}
}

func TestSendRetries(t *testing.T) {
	t.Parallel()
	const s = time.Second
	tests := []struct {
		name      string
		script    []fault
		waits     []time.Duration
		wantErr   int  // APIError status expected, 0 for success
		wantNet   bool // a wrapped network error expected
		wantCount int  // notifications stored
	}{
		{name: "429 retryAfter from body",
			script: []fault{answer(429, `{"statusCode":429,"message":"Rate limit exceeded. Limit: 100/min","error":"Too Many Requests","retryAfter":7}`, "Retry-After", "99")},
			waits:  []time.Duration{7 * s}, wantCount: 1},
		{name: "429 Retry-After header when body has none",
			script: []fault{answer(429, `{"statusCode":429,"error":"Too Many Requests"}`, "Retry-After", "5")},
			waits:  []time.Duration{5 * s}, wantCount: 1},
		{name: "429 invalid retryAfter falls back to 2s",
			script: []fault{answer(429, `{"statusCode":429,"retryAfter":"soon"}`, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")},
			waits:  []time.Duration{2 * s}, wantCount: 1},
		{name: "429 past the last retry",
			script: []fault{
				answer(429, `{"statusCode":429,"retryAfter":1}`), answer(429, `{"statusCode":429,"retryAfter":1}`),
				answer(429, `{"statusCode":429,"retryAfter":1}`), answer(429, `{"statusCode":429,"retryAfter":3}`)},
			waits: []time.Duration{s, s, s}, wantErr: 429},
		{name: "5xx backoff then success",
			script: []fault{internalError(500), internalError(502), internalError(503)},
			waits:  []time.Duration{2 * s, 8 * s, 30 * s}, wantCount: 1},
		{name: "5xx past the last retry",
			script: []fault{internalError(500), internalError(500), internalError(500), internalError(500)},
			waits:  []time.Duration{2 * s, 8 * s, 30 * s}, wantErr: 500},
		{name: "dropped connections then success",
			script: []fault{hangUp, hangUp},
			waits:  []time.Duration{2 * s, 8 * s}, wantCount: 1},
		{name: "engine stored it but the answer was lost",
			script: []fault{forwardThenHangUp, forwardThenHangUp},
			waits:  []time.Duration{2 * s, 8 * s}, wantCount: 1},
		{name: "dropped past the last retry",
			script: []fault{hangUp, hangUp, hangUp, hangUp},
			waits:  []time.Duration{2 * s, 8 * s, 30 * s}, wantNet: true},
		{name: "429 then 5xx share one budget",
			script: []fault{answer(429, `{"retryAfter":4}`), internalError(500), hangUp},
			waits:  []time.Duration{4 * s, 2 * s, 8 * s}, wantCount: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, "whsec_retry", tt.script...)
			res, err := h.c.SendNotification(context.Background(), "global.info", client.Payload{UserID: "u1"}, info("retry"))
			var apiErr *client.APIError
			switch {
			case tt.wantErr != 0:
				if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantErr {
					t.Fatalf("err = %v, want APIError %d", err, tt.wantErr)
				}
				if tt.wantErr == 429 && apiErr.RetryAfter != 3*s {
					t.Errorf("RetryAfter = %v, want 3s", apiErr.RetryAfter)
				}
			case tt.wantNet:
				if err == nil || errors.As(err, &apiErr) {
					t.Fatalf("err = %v, want a network error", err)
				}
			default:
				if err != nil {
					t.Fatalf("send: %v", err)
				}
			}
			got := h.front.attempts()
			if want := len(tt.waits) + 1; len(got) != want {
				t.Errorf("attempts = %d, want %d", len(got), want)
			}
			if w := h.sleeps.taken(); !equalWaits(w, tt.waits...) {
				t.Errorf("waits = %v, want %v", w, tt.waits)
			}
			for i, a := range got[1:] {
				if !bytes.Equal(a.body, got[0].body) {
					t.Errorf("attempt %d body differs:\n%s\n%s", i+2, a.body, got[0].body)
				}
				for _, hd := range []string{"X-Idempotency-Key", "X-Orqestra-Signature"} {
					if a.header.Get(hd) != got[0].header.Get(hd) || a.header.Get(hd) == "" {
						t.Errorf("attempt %d %s = %q, first had %q", i+2, hd, a.header.Get(hd), got[0].header.Get(hd))
					}
				}
			}
			if res != nil && res.IdempotencyKey != got[0].header.Get("X-Idempotency-Key") {
				t.Errorf("result key %q, sent %q", res.IdempotencyKey, got[0].header.Get("X-Idempotency-Key"))
			}
			if n := len(h.stored(t, "u1")); n != tt.wantCount {
				t.Errorf("stored %d notifications, want %d", n, tt.wantCount)
			}
			if len(tt.waits) > 0 && strings.Count(h.logs.String(), "orqestra: retrying") != len(tt.waits) {
				t.Errorf("want %d retry log lines:\n%s", len(tt.waits), h.logs)
			}
		})
	}
}

// TestSendEngineRateLimit meets the engine's own limiter, not a scripted 429.
func TestSendEngineRateLimit(t *testing.T) {
	t.Parallel()
	h := newTenantHarness(t, enginetest.Tenant{RateLimit: 1})
	ctx := context.Background()
	if _, err := h.c.SendNotification(ctx, "global.info", client.Payload{UserID: "u1"}, info("first")); err != nil {
		t.Fatalf("first send: %v", err)
	}
	_, err := h.c.SendNotification(ctx, "global.info", client.Payload{UserID: "u1"}, info("second"))
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.RetryAfter <= 0 || apiErr.RetryAfter > time.Minute {
		t.Fatalf("err = %#v, want APIError 429 with retryAfter in (0, 60s]", err)
	}
	if n := len(h.front.attempts()); n != 1+4 {
		t.Errorf("attempts = %d, want 1 + 4", n)
	}
	waits := h.sleeps.taken()
	if len(waits) != 3 {
		t.Fatalf("waits = %v, want 3", waits)
	}
	for _, w := range waits {
		if w <= 0 || w > time.Minute || w != w.Truncate(time.Second) {
			t.Errorf("wait %v is not the engine's retryAfter seconds", w)
		}
	}
	if n := len(h.stored(t, "u1")); n != 1 {
		t.Errorf("stored %d notifications, want 1", n)
	}
}

func TestSendCancelStopsWaiting(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", internalError(500))
	// The real sleep this time: a 2 s backoff that the cancel must cut short.
	c, err := client.New(h.front.srv.URL, client.WithAPIKey(h.engine.APIKey),
		client.WithLogger(slog.New(slog.NewTextHandler(h.logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err = c.SendNotification(ctx, "global.info", client.Payload{UserID: "u1"}, info("x"))
	if elapsed := time.Since(start); elapsed > time.Second {
		t.Errorf("returned after %v, want right after the cancel", elapsed)
	}
	var apiErr *client.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) {
		t.Errorf("err = %v, want context.Canceled wrapping the 500", err)
	}
	if n := len(h.front.attempts()); n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestHistoryAndMarkRead(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	ctx := context.Background()
	for _, title := range []string{"first", "second"} {
		if _, err := h.c.SendNotification(ctx, "global.info", client.Payload{UserID: "u/1 ü"}, info(title)); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	page, err := h.c.History(ctx, h.engine.TenantID, "u/1 ü")
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if len(page.Notifications) != 2 || page.UnreadCount != 2 {
		t.Fatalf("page = %+v", page)
	}
	if page.Notifications[0].Title != "second" || page.Notifications[0].CreatedAt.IsZero() {
		t.Errorf("newest = %+v", page.Notifications[0])
	}
	if err := h.c.MarkRead(ctx, h.engine.TenantID, "u/1 ü", page.Notifications[1].ID); err != nil {
		t.Fatalf("mark read: %v", err)
	}
	page, err = h.c.History(ctx, h.engine.TenantID, "u/1 ü", client.Limit(10))
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	if page.UnreadCount != 1 || page.Notifications[1].Status != "READ" || page.Notifications[0].Status != "UNREAD" {
		t.Errorf("after mark read: %+v", page)
	}
	if err := h.c.MarkRead(ctx, h.engine.TenantID, "u1", ".."); err == nil {
		t.Errorf("MarkRead accepted %q as an id", "..")
	}
}

func TestMarkAllReadAndEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	ctx := context.Background()
	var last *client.SendResult
	for _, title := range []string{"one", "two"} {
		res, err := h.c.SendNotification(ctx, "global.info", client.Payload{UserID: "all", RecipientEmail: "all@example.com"}, info(title))
		if err != nil {
			t.Fatalf("send: %v", err)
		}
		last = res
	}
	n, err := h.c.MarkAllRead(ctx, h.engine.TenantID, "all")
	if err != nil || n != 2 {
		t.Fatalf("MarkAllRead = %d, %v; want 2", n, err)
	}
	if page, err := h.c.History(ctx, h.engine.TenantID, "all"); err != nil || page.UnreadCount != 0 {
		t.Fatalf("after MarkAllRead: %+v, %v", page, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := h.c.Event(ctx, last.EventID)
		if err != nil {
			t.Fatalf("Event: %v", err)
		}
		if ev.ID != last.EventID || ev.EventType != "global.info" || len(ev.Deliveries) != 1 || ev.Deliveries[0].Channel != "EMAIL" {
			t.Fatalf("event = %+v", ev)
		}
		if ev.Deliveries[0].Status == "sent" {
			if ev.Deliveries[0].Provider != "outbox" || ev.Deliveries[0].SentAt == nil {
				t.Fatalf("sent delivery = %+v", ev.Deliveries[0])
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("email not sent: %+v", ev.Deliveries[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
	var apiErr *client.APIError
	if _, err := h.c.Event(ctx, "evt_unknown"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("unknown event: %v", err)
	}
}

func TestRealtimeToken(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	tok, err := h.c.RealtimeToken(context.Background(), "u1")
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	want := "notifications:" + h.engine.TenantID + "#u1"
	if tok.Token == "" || len(tok.Channels) != 1 || tok.Channels[0] != want {
		t.Errorf("token = %+v, want channel %q", tok, want)
	}
}

func TestTokenHandler(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "")
	// The host's session: the user is named by a header set by the test.
	identify := func(r *http.Request) (string, bool) {
		u := r.Header.Get("X-Test-User")
		return u, u != ""
	}
	host := httptest.NewServer(h.c.TokenHandler(identify))
	t.Cleanup(host.Close)
	tests := []struct {
		name, method, user, body string
		status                   int
	}{
		{"logged in, matching body", "POST", "u1", `{"userId":"u1"}`, 200},
		{"logged in, empty body", "POST", "u1", ``, 200},
		{"no session", "POST", "", `{"userId":"u1"}`, 401},
		{"other user in body", "POST", "u1", `{"userId":"u2"}`, 403},
		{"not JSON", "POST", "u1", `userId=u1`, 400},
		{"GET", "GET", "u1", ``, 405},
		{"too large", "POST", "u1", `{"userId":"` + strings.Repeat("a", 5000) + `"}`, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, host.URL, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.user != "" {
				req.Header.Set("X-Test-User", tt.user)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if strings.Contains(string(body), h.engine.APIKey) {
				t.Errorf("answer contains the API key: %s", body)
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
			}
			if tt.status != 200 {
				return
			}
			var tok client.Token
			if err := json.Unmarshal(body, &tok); err != nil {
				t.Fatal(err)
			}
			if tok.Token == "" || len(tok.Channels) != 1 || !strings.HasSuffix(tok.Channels[0], "#"+tt.user) {
				t.Errorf("token = %+v", tok)
			}
		})
	}
}

func TestTokenHandlerEngineDown(t *testing.T) {
	t.Parallel()
	h := newHarness(t, "", internalError(500))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/token", strings.NewReader(`{"userId":"u1"}`))
	h.c.TokenHandler(func(*http.Request) (string, bool) { return "u1", true }).ServeHTTP(rec, req)
	if rec.Code != http.StatusBadGateway || strings.Contains(rec.Body.String(), "boom") {
		t.Errorf("status %d body %s, want a bare 502", rec.Code, rec.Body)
	}
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "localhost:8080", "ftp://x", "http://x?a=b", "http://user:pw@x"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) accepted", u)
		}
	}
}

func TestNewReadsEnvironment(t *testing.T) {
	t.Setenv("ORQESTRA_API_KEY", "ok_from_env")
	t.Setenv("ORQESTRA_WEBHOOK_SECRET", "sec_from_env")
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		body, _ = io.ReadAll(r.Body)
		io.WriteString(w, `{"success":true,"message":"ok","eventId":"e"}`)
	}))
	defer srv.Close()
	c, err := client.New(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendNotification(context.Background(), "global.info", client.Payload{UserID: "u"}, nil); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte("sec_from_env"))
	mac.Write(body)
	if got.Get("x-api-key") != "ok_from_env" || got.Get("X-Orqestra-Signature") != hex.EncodeToString(mac.Sum(nil)) {
		t.Errorf("headers = %v", got)
	}
}

func TestResponseBodyLimit(t *testing.T) {
	t.Parallel()
	big := strings.Repeat(" ", 2<<20)
	h := newHarness(t, "", answer(200, `{"success":true,"message":"`+big+`"}`))
	_, err := h.c.SendNotification(context.Background(), "global.info", client.Payload{UserID: "u1"}, info("x"))
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("err = %v, want a size error", err)
	}
	if n := len(h.front.attempts()); n != 1 {
		t.Errorf("attempts = %d, want 1 (an accepted event is not resent)", n)
	}
}
