package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/webhook"
)

const secret = "whsec-0123456789"

// receiver is a webhook endpoint that records what arrived and answers as
// the test says.
type receiver struct {
	mu     sync.Mutex
	header http.Header
	body   []byte
	status int
	reply  string
	rh     http.Header
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.header, rc.body = r.Header.Clone(), b
	status, reply, rh := rc.status, rc.reply, rc.rh
	rc.mu.Unlock()
	for k, v := range rh {
		w.Header()[k] = v
	}
	if status == 0 {
		status = 200
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, reply)
}

func start(t *testing.T, rc *receiver, cfg webhook.Config) *webhook.Sender {
	t.Helper()
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/hooks/orqestra?token=QUERYSECRET"
	s, err := webhook.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func msg() delivery.Message {
	return delivery.Message{DeliveryID: "d-42", TenantID: "t-1", EventID: "e-9", Channel: delivery.ChannelEmail,
		To: "ada@example.com", Subject: "Hi", Text: "text", HTML: "<p>html</p>"}
}

func TestSendSignedWithHeaders(t *testing.T) {
	t.Parallel()
	rc := &receiver{reply: `{"id":"rcv-7","ok":true}`}
	s := start(t, rc, webhook.Config{Secret: secret, Headers: map[string]string{"Authorization": "Bearer abc", "X-Team": "ops"}})
	rcpt, err := s.Send(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	if rcpt.ProviderMessageID != "rcv-7" {
		t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
	}
	var p map[string]string
	if err := json.Unmarshal(rc.body, &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"deliveryId": "d-42", "tenantId": "t-1", "eventId": "e-9", "channel": "EMAIL",
		"to": "ada@example.com", "subject": "Hi", "text": "text", "html": "<p>html</p>"}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("body %s = %q, want %q", k, p[k], v)
		}
	}
	if len(p) != len(want) {
		t.Errorf("body has %d fields, want %d: %s", len(p), len(want), rc.body)
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(rc.body)
	if got := rc.header.Get("X-Orqestra-Signature"); got != hex.EncodeToString(m.Sum(nil)) || got != webhook.Sign(secret, rc.body) {
		t.Errorf("signature %q does not match the body", got)
	}
	for k, v := range map[string]string{"Idempotency-Key": "d-42", "Content-Type": "application/json", "Authorization": "Bearer abc", "X-Team": "ops"} {
		if rc.header.Get(k) != v {
			t.Errorf("header %s = %q, want %q", k, rc.header.Get(k), v)
		}
	}
}

func TestUnsignedAndNumericID(t *testing.T) {
	t.Parallel()
	rc := &receiver{status: 202, reply: `{"id":12345}`}
	s := start(t, rc, webhook.Config{})
	rcpt, err := s.Send(context.Background(), msg())
	if err != nil {
		t.Fatal(err)
	}
	if rcpt.ProviderMessageID != "12345" {
		t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
	}
	if _, ok := rc.header["X-Orqestra-Signature"]; ok {
		t.Error("signature sent without a secret")
	}
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		rc        *receiver
		permanent bool
		rateAfter time.Duration
		wantIn    string
	}{
		{"429 retry-after", &receiver{status: 429, rh: http.Header{"Retry-After": {"12"}}}, false, 12 * time.Second, "HTTP 429"},
		{"500", &receiver{status: 500, reply: "boom"}, false, 0, "boom"},
		{"502", &receiver{status: 502}, false, 0, "HTTP 502"},
		{"408", &receiver{status: 408}, false, 0, "HTTP 408"},
		{"400", &receiver{status: 400, reply: `{"error":"unknown recipient"}`}, true, 0, "unknown recipient"},
		{"401", &receiver{status: 401}, true, 0, "HTTP 401"},
		{"410 gone", &receiver{status: 410}, true, 0, "HTTP 410"},
		{"redirect not followed", &receiver{status: 301, rh: http.Header{"Location": {"https://elsewhere.test/"}}}, true, 0, "HTTP 301"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tt.rc, webhook.Config{Secret: secret})
			_, err := s.Send(context.Background(), msg())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if delivery.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v for %v", delivery.IsPermanent(err), err)
			}
			var rl *delivery.RateLimitedError
			if isRL := errors.As(err, &rl); isRL != (tt.rateAfter > 0) || (isRL && rl.RetryAfter != tt.rateAfter) {
				t.Errorf("rate limit = %v, want after %v", err, tt.rateAfter)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q lacks %q", err, tt.wantIn)
			}
		})
	}
}

func TestTransportErrorHidesQueryAndIsTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	s, err := webhook.New(webhook.Config{URL: srv.URL + "/h?token=QUERYSECRET", TimeoutSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), msg())
	if err == nil || delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want transient", err)
	}
	if strings.Contains(err.Error(), "QUERYSECRET") {
		t.Fatalf("error leaks the URL query: %v", err)
	}
}

func TestTimeoutIsTransient(t *testing.T) {
	t.Parallel()
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(block) })
	s, err := webhook.New(webhook.Config{URL: srv.URL, TimeoutSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.Send(context.Background(), msg())
	if err == nil || delivery.IsPermanent(err) || time.Since(start) > 3*time.Second {
		t.Fatalf("err = %v after %s, want transient timeout near 1s", err, time.Since(start))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := webhook.Config{
		URL:     "http://hooks.example.com/x",
		Headers: map[string]string{"Idempotency-Key": "x", "Bad Name": "v", "X-Ok": "line\r\nInjected: 1"},
	}.Validate()
	for _, w := range []string{"https", "cannot be configured", `"Bad Name" is not valid`, "must be one line"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error %v lacks %q", err, w)
		}
	}
	if err := (webhook.Config{}).Validate(); err == nil || !strings.Contains(err.Error(), "url is required") {
		t.Errorf("missing url: %v", err)
	}
}
