package delivery_test

// Whole-engine delivery tests: a real engine (enginetest), a real SMTP
// server (smtptest) and fake HTTP providers shaped like the webhook
// provider's endpoint. They prove the semantics of issue 3: rendered mail
// arrives, transient failures retry until delivered exactly once, permanent
// ones fail at once with the provider's reason, the next provider takes
// over, a provider's rate limit snoozes, and a stop mid-delivery loses
// nothing.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/orqestra/orqestra/internal/config"
	"github.com/orqestra/orqestra/internal/enginetest"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/provider/smtp/smtptest"
	"github.com/orqestra/orqestra/internal/store"
)

// fastRetries spreads 8 attempts over 3 s instead of 30 min.
func fastRetries(c *config.Config) { c.DeliveryRetryWindow = 3 * time.Second }

type tenant struct {
	id, key string
}

func setup(t *testing.T, e *enginetest.Engine) tenant {
	t.Helper()
	id, key := e.CreateTenant(t, enginetest.Tenant{Name: "Acme", RateLimit: -1})
	_, err := e.Store.SaveTemplate(context.Background(), store.Template{
		ID: "tpl_order_email", TenantID: id, EventType: "order.confirmed", Channel: "EMAIL", Category: "orders",
		Subject: "Order {{orderNumber}} confirmed",
		Body:    "Hi {{name}}, your order {{orderNumber}} is confirmed.",
		HTML:    "<p>Hi <b>{{name}}</b>, order {{orderNumber}} is confirmed.</p>",
		Active:  true, CreatedAt: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return tenant{id, key}
}

func addProvider(t *testing.T, e *enginetest.Engine, tn tenant, kind, name string, priority int, cfg map[string]any) store.Provider {
	t.Helper()
	raw, _ := json.Marshal(cfg)
	p, err := provider.Add(context.Background(), e.Store, e.Engine.Secrets, provider.NewProvider{
		TenantID: tn.id, Channel: "EMAIL", Kind: kind, Name: name, Priority: priority, Active: true, Config: raw,
	}, time.Now())
	if err != nil {
		t.Fatalf("add provider: %v", provider.Problems(err))
	}
	return p
}

func smtpConfig(srv *smtptest.Server) map[string]any {
	return map[string]any{"host": srv.Host(), "port": srv.Port(), "security": "none", "from": "shop@acme.test", "fromName": "Acme Store", "timeoutSeconds": 5}
}

func trigger(t *testing.T, e *enginetest.Engine, tn tenant, to string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"eventType": "order.confirmed", "channels": []string{"EMAIL"},
		"payload": map[string]any{"userId": "u1", "recipientEmail": to}, "variables": vars,
	})
	req, _ := http.NewRequest(http.MethodPost, e.URL+"/api/v1/events/trigger", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", tn.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		EventID string `json:"eventId"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || out.EventID == "" {
		t.Fatalf("trigger: %d %s", resp.StatusCode, raw)
	}
	return out.EventID
}

type deliveryView struct {
	ID                string `json:"id"`
	Status            string `json:"status"`
	Attempts          int    `json:"attempts"`
	Provider          string `json:"provider"`
	ProviderMessageID string `json:"providerMessageId"`
	LastError         string `json:"lastError"`
	SentAt            string `json:"sentAt"`
}

// event reads GET /api/v1/events/{id}, the API a customer uses to follow
// a delivery.
func event(t *testing.T, e *enginetest.Engine, tn tenant, eventID string) deliveryView {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/api/v1/events/"+eventID, nil)
	req.Header.Set("x-api-key", tn.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Deliveries []deliveryView `json:"deliveries"`
		} `json:"data"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil || len(out.Data.Deliveries) != 1 {
		t.Fatalf("GET event: %d %s", resp.StatusCode, raw)
	}
	return out.Data.Deliveries[0]
}

// waitStatus polls the event API until the delivery has status.
func waitStatus(t *testing.T, e *enginetest.Engine, tn tenant, eventID, status string, timeout time.Duration) deliveryView {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := event(t, e, tn, eventID)
		if d.Status == status {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery of %s: status %q after %s, want %q (%+v)", eventID, d.Status, timeout, status, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSMTPProviderDeliversRenderedMail(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	e := enginetest.Start(t)
	tn := setup(t, e)
	addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(srv))

	id := trigger(t, e, tn, "ann@example.com", map[string]any{"name": "Ann & <Bob>", "orderNumber": "A-1042"})
	d := waitStatus(t, e, tn, id, "sent", 10*time.Second)
	if d.Provider != "primary" || d.Attempts != 1 || d.ProviderMessageID == "" || d.SentAt == "" || d.LastError != "" {
		t.Fatalf("delivery row: %+v", d)
	}
	msgs := srv.WaitMessages(t, 1, 5*time.Second)
	m := msgs[0]
	if m.From != "shop@acme.test" || len(m.To) != 1 || m.To[0] != "ann@example.com" {
		t.Fatalf("envelope from %q to %q", m.From, m.To)
	}
	p, err := m.Parse()
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "Order A-1042 confirmed" {
		t.Errorf("subject %q", p.Subject)
	}
	if got := strings.TrimSpace(p.Text); got != "Hi Ann & <Bob>, your order A-1042 is confirmed." {
		t.Errorf("text %q", got)
	}
	if got := strings.TrimSpace(p.HTML); got != "<p>Hi <b>Ann &amp; &lt;Bob&gt;</b>, order A-1042 is confirmed.</p>" {
		t.Errorf("html %q", got)
	}
	if p.ContentType != "multipart/alternative" {
		t.Errorf("content type %q", p.ContentType)
	}
	wantID := "<orq." + d.ID + "@acme.test>"
	if got := p.Header.Get("Message-Id"); got != wantID {
		t.Errorf("Message-ID %q, want %q", got, wantID)
	}
	if got := p.Header.Get("To"); got != "ann@example.com" && got != "<ann@example.com>" {
		t.Errorf("To %q", got)
	}
	if got := p.Header.Get("From"); !strings.Contains(got, "Acme Store") || !strings.Contains(got, "shop@acme.test") {
		t.Errorf("From %q", got)
	}
	if p.Header.Get("Date") == "" || p.Header.Get("Mime-Version") == "" {
		t.Errorf("headers %v", p.Header)
	}
}

// TestOutageDeliversEveryEmailOnce takes the SMTP server down while 20
// emails are queued, brings it back after each has failed at least once,
// and expects each email exactly once.
func TestOutageDeliversEveryEmailOnce(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{})
	srv.RefuseConnections(1 << 30) // down
	e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
	tn := setup(t, e)
	addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(srv))

	const n = 20
	ids := make([]string, n)
	for i := range ids {
		ids[i] = trigger(t, e, tn, fmt.Sprintf("user%d@example.com", i), map[string]any{"name": "U", "orderNumber": i})
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < n; {
		d := event(t, e, tn, ids[i])
		if d.Attempts >= 2 || (d.Status == "retrying" && d.Attempts >= 1 && strings.Contains(d.LastError, "primary")) {
			i++
			continue
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery %d never failed during the outage: %+v", i, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	refused := srv.Connections()
	srv.RefuseConnections(0) // back up

	msgs := srv.WaitMessages(t, n, 15*time.Second)
	for _, id := range ids {
		if d := waitStatus(t, e, tn, id, "sent", 10*time.Second); d.Attempts < 2 || d.Provider != "primary" {
			t.Errorf("delivery after the outage: %+v", d)
		}
	}
	time.Sleep(300 * time.Millisecond) // a duplicate would arrive now
	msgs = srv.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		p, err := m.Parse()
		if err != nil {
			t.Fatal(err)
		}
		seen[p.Header.Get("Message-Id")]++
	}
	if len(msgs) != n || len(seen) != n {
		t.Fatalf("%d messages with %d distinct Message-IDs, want %d each", len(msgs), len(seen), n)
	}
	t.Logf("%d connections refused during the outage, %d emails delivered once each", refused, n)
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{RcptError: &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}})
	e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
	tn := setup(t, e)
	addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(srv))

	id := trigger(t, e, tn, "ghost@example.com", map[string]any{"name": "G", "orderNumber": 1})
	d := waitStatus(t, e, tn, id, "failed", 10*time.Second)
	if d.Attempts != 1 || !strings.Contains(d.LastError, "550") || !strings.Contains(d.LastError, "no such user here") || d.Provider != "primary" {
		t.Fatalf("failed delivery: %+v", d)
	}
	time.Sleep(500 * time.Millisecond) // retries would come within this with fastRetries
	if c := srv.Connections(); c != 1 {
		t.Fatalf("%d SMTP connections, want 1 (no retry)", c)
	}
	if got := event(t, e, tn, id); got.Attempts != 1 || got.Status != "failed" {
		t.Fatalf("after waiting: %+v", got)
	}
}

func TestFallbackToNextProvider(t *testing.T) {
	t.Parallel()
	rejecting := &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 7, 1}, Message: "relay denied"}

	t.Run("first provider rejects", func(t *testing.T) {
		t.Parallel()
		first := smtptest.Start(t, smtptest.Options{RcptError: rejecting})
		second := smtptest.Start(t, smtptest.Options{})
		e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
		tn := setup(t, e)
		addProvider(t, e, tn, "smtp", "backup", 2, smtpConfig(second))
		addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(first))

		d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 1}), "sent", 10*time.Second)
		if d.Provider != "backup" || d.Attempts != 1 || !strings.Contains(d.LastError, "primary") || !strings.Contains(d.LastError, "relay denied") {
			t.Fatalf("delivery: %+v", d)
		}
		if len(first.Messages()) != 0 || len(second.WaitMessages(t, 1, 5*time.Second)) != 1 {
			t.Fatalf("messages: first %d, second %d", len(first.Messages()), len(second.Messages()))
		}
	})

	t.Run("first provider down", func(t *testing.T) {
		t.Parallel()
		// Refusing rather than closed: a closed port may be reused by a
		// parallel test's server.
		first := smtptest.Start(t, smtptest.Options{RefuseConnections: 1 << 30})
		second := smtptest.Start(t, smtptest.Options{})
		e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
		tn := setup(t, e)
		addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(first))
		addProvider(t, e, tn, "smtp", "backup", 2, smtpConfig(second))

		d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 2}), "sent", 10*time.Second)
		if d.Provider != "backup" || d.Attempts != 1 || !strings.Contains(d.LastError, "primary") {
			t.Fatalf("delivery: %+v", d)
		}
		second.WaitMessages(t, 1, 5*time.Second)
	})

	// A provider that rejected a delivery is not asked again on its
	// retries; the fallback that was down gets it when it is back.
	t.Run("rejecting provider is not retried", func(t *testing.T) {
		t.Parallel()
		first := smtptest.Start(t, smtptest.Options{RcptError: rejecting})
		second := smtptest.Start(t, smtptest.Options{RefuseConnections: 2})
		e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
		tn := setup(t, e)
		addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(first))
		addProvider(t, e, tn, "smtp", "backup", 2, smtpConfig(second))

		d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 3}), "sent", 10*time.Second)
		if d.Provider != "backup" || d.Attempts != 3 {
			t.Fatalf("delivery: %+v", d)
		}
		if c := first.Connections(); c != 1 {
			t.Fatalf("rejecting provider contacted %d times, want 1", c)
		}
	})

	t.Run("every provider rejects", func(t *testing.T) {
		t.Parallel()
		first := smtptest.Start(t, smtptest.Options{RcptError: rejecting})
		second := smtptest.Start(t, smtptest.Options{RcptError: &gosmtp.SMTPError{Code: 553, Message: "mailbox name not allowed"}})
		e := enginetest.Start(t, enginetest.WithConfig(fastRetries))
		tn := setup(t, e)
		addProvider(t, e, tn, "smtp", "primary", 1, smtpConfig(first))
		addProvider(t, e, tn, "smtp", "backup", 2, smtpConfig(second))

		d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 4}), "failed", 10*time.Second)
		if d.Attempts != 1 || !strings.Contains(d.LastError, "relay denied") || !strings.Contains(d.LastError, "mailbox name not allowed") {
			t.Fatalf("delivery: %+v", d)
		}
	})
}

// fakeHook stands in for a tenant's webhook endpoint (the webhook
// provider's documented shape: JSON POST with Idempotency-Key).
type fakeHook struct {
	mu       sync.Mutex
	requests []hookRequest
	handle   func(w http.ResponseWriter, r *http.Request, n int)
	got      chan struct{}
}

type hookRequest struct {
	at             time.Time
	idempotencyKey string
	body           map[string]any
}

func startHook(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, n int)) (*fakeHook, string) {
	h := &fakeHook{handle: handle, got: make(chan struct{}, 100)}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return h, srv.URL + "/hooks/orqestra"
}

func (h *fakeHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body)
	h.mu.Lock()
	h.requests = append(h.requests, hookRequest{at: time.Now(), idempotencyKey: r.Header.Get("Idempotency-Key"), body: body})
	n := len(h.requests)
	h.mu.Unlock()
	h.got <- struct{}{}
	h.handle(w, r, n)
}

func (h *fakeHook) all() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.requests...)
}

func TestRateLimitSnoozesForRetryAfter(t *testing.T) {
	t.Parallel()
	hook, url := startHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"hook-msg-7"}`)
	})
	e := enginetest.Start(t) // the default 30-minute retry window: only the snooze can bring it back in seconds
	tn := setup(t, e)
	addProvider(t, e, tn, "webhook", "hook", 1, map[string]any{"url": url})

	d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 5}), "sent", 10*time.Second)
	reqs := hook.all()
	if len(reqs) != 2 || d.ProviderMessageID != "hook-msg-7" || d.Attempts != 1 {
		t.Fatalf("%d requests, delivery %+v", len(reqs), d)
	}
	if gap := reqs[1].at.Sub(reqs[0].at); gap < 900*time.Millisecond || gap > 8*time.Second {
		t.Fatalf("second request %s after the 429 with Retry-After: 1", gap)
	}
	if reqs[0].idempotencyKey != d.ID || reqs[1].idempotencyKey != d.ID {
		t.Fatalf("Idempotency-Key %q, %q, want %q", reqs[0].idempotencyKey, reqs[1].idempotencyKey, d.ID)
	}
}

// TestStopMidDeliveryRunsAgainOnRestart stops the engine while a provider
// is still answering, starts a new engine on the same database file, and
// expects the delivery to run again and succeed, with the same
// idempotency key.
func TestStopMidDeliveryRunsAgainOnRestart(t *testing.T) {
	t.Parallel()
	var slow atomic.Bool
	slow.Store(true)
	hook, url := startHook(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if slow.Load() {
			<-r.Context().Done() // hang until the engine gives up
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	stopFast := func(c *config.Config) { c.ShutdownTimeout = 3 * time.Second }
	e1 := enginetest.Start(t, enginetest.WithConfig(stopFast))
	tn := setup(t, e1)
	addProvider(t, e1, tn, "webhook", "hook", 1, map[string]any{"url": url, "timeoutSeconds": 60})
	id := trigger(t, e1, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 6})
	select {
	case <-hook.got:
	case <-time.After(10 * time.Second):
		t.Fatal("the provider never got the delivery")
	}
	waitStatus(t, e1, tn, id, "sending", 5*time.Second)
	e1.Stop(t)
	slow.Store(false)

	e2 := enginetest.Start(t, enginetest.WithConfig(func(c *config.Config) { c.DatabaseURL = e1.Config.DatabaseURL }))
	d := waitStatus(t, e2, tn, id, "sent", 15*time.Second)
	reqs := hook.all()
	if len(reqs) != 2 || reqs[0].idempotencyKey != d.ID || reqs[1].idempotencyKey != d.ID {
		t.Fatalf("%d requests (%+v) for delivery %+v", len(reqs), reqs, d)
	}
	if d.Provider != "hook" || d.Attempts != 1 {
		t.Fatalf("delivery after restart: %+v", d)
	}
}

// TestNoProviderUsesOutbox keeps the embedded default: a tenant without a
// provider for the channel delivers to the outbox.
func TestNoProviderUsesOutbox(t *testing.T) {
	t.Parallel()
	e := enginetest.Start(t)
	tn := setup(t, e)
	d := waitStatus(t, e, tn, trigger(t, e, tn, "ann@example.com", map[string]any{"name": "A", "orderNumber": 8}), "sent", 10*time.Second)
	if d.Provider != "outbox" {
		t.Fatalf("delivery: %+v", d)
	}
	msgs, err := e.Store.OutboxMessages(context.Background(), tn.id, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Subject != "Order 8 confirmed" {
		t.Fatalf("outbox: %v %+v", err, msgs)
	}
}
