package sendgrid_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/apicall"
	"github.com/orqestra/orqestra/internal/provider/sendgrid"
)

const apiKey = "SG.test-key-abcdefghijklmnop"

var now = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// fake is shaped like POST /v3/mail/send: it checks the request as SendGrid
// would and answers with the status and headers the test picks.
type fake struct {
	mu     sync.Mutex
	got    map[string]any
	status int
	header http.Header
	body   string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v3/mail/send" {
		http.Error(w, `{"errors":[{"message":"not found"}]}`, http.StatusNotFound)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+apiKey {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}`)
		return
	}
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		http.Error(w, `{"errors":[{"message":"Bad Request"}]}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.got = body
	status, header, rbody := f.status, f.header, f.body
	f.mu.Unlock()
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, rbody)
}

func start(t *testing.T, f *fake, cfg sendgrid.Config) *sendgrid.Sender {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.APIKey == "" {
		cfg.APIKey = apiKey
	}
	if cfg.From == "" {
		cfg.From = "noreply@acme.test"
	}
	s, err := sendgrid.New(cfg, apicall.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func message() delivery.Message {
	return delivery.Message{DeliveryID: "d-1", TenantID: "t-1", EventID: "e-1", Channel: delivery.ChannelEmail,
		To: "ada@example.com", Subject: "Hello", Text: "plain", HTML: "<p>html</p>"}
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	f := &fake{status: http.StatusAccepted, header: http.Header{"X-Message-Id": {"sg-abc123"}}}
	s := start(t, f, sendgrid.Config{FromName: "Acme", ReplyTo: "help@acme.test", SandboxMode: true})
	rcpt, err := s.Send(context.Background(), message())
	if err != nil {
		t.Fatal(err)
	}
	if rcpt.ProviderMessageID != "sg-abc123" {
		t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
	}
	got, _ := json.Marshal(f.got)
	want := `{"content":[{"type":"text/plain","value":"plain"},{"type":"text/html","value":"\u003cp\u003ehtml\u003c/p\u003e"}],` +
		`"custom_args":{"delivery_id":"d-1","event_id":"e-1","tenant_id":"t-1"},` +
		`"from":{"email":"noreply@acme.test","name":"Acme"},"mail_settings":{"sandbox_mode":{"enable":true}},` +
		`"personalizations":[{"to":[{"email":"ada@example.com"}]}],"reply_to":{"email":"help@acme.test"},"subject":"Hello"}`
	if string(got) != want {
		t.Errorf("request body\n got %s\nwant %s", got, want)
	}
}

func TestTextOnlyHasOneContent(t *testing.T) {
	t.Parallel()
	f := &fake{status: http.StatusAccepted}
	s := start(t, f, sendgrid.Config{})
	msg := message()
	msg.HTML = ""
	if _, err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if c := f.got["content"].([]any); len(c) != 1 || c[0].(map[string]any)["type"] != "text/plain" {
		t.Fatalf("content = %v", c)
	}
	if _, ok := f.got["mail_settings"]; ok {
		t.Error("mail_settings sent without sandboxMode")
	}
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		apiKey    string
		status    int
		header    http.Header
		body      string
		permanent bool
		rateAfter time.Duration // >0: expect RateLimited with this wait
		wantIn    string
	}{
		{name: "429 with reset header", status: 429, header: http.Header{"X-Ratelimit-Reset": {strconv.FormatInt(now.Add(30*time.Second).Unix(), 10)}},
			body: `{"errors":[{"field":null,"message":"too many requests"}]}`, rateAfter: 30 * time.Second, wantIn: "too many requests"},
		{name: "429 with retry-after", status: 429, header: http.Header{"Retry-After": {"7"}}, rateAfter: 7 * time.Second},
		{name: "500 transient", status: 500, body: `{"errors":[{"message":"internal error"}]}`, wantIn: "internal error"},
		{name: "503 transient", status: 503, body: "unavailable"},
		{name: "400 permanent with message", status: 400, permanent: true,
			body:   `{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from"}]}`,
			wantIn: "from: The from address does not match a verified Sender Identity."},
		{name: "401 bad key permanent", apiKey: "SG.wrong-key-zzzzzzzzzzzz", permanent: true, wantIn: "authorization grant is invalid"},
		{name: "413 too large permanent", status: 413, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, &fake{status: tt.status, header: tt.header, body: tt.body}, sendgrid.Config{APIKey: tt.apiKey})
			_, err := s.Send(context.Background(), message())
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
			if strings.Contains(err.Error(), "SG.") {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestNetworkFailureIsTransient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	s, err := sendgrid.New(sendgrid.Config{APIKey: apiKey, From: "a@b.test", BaseURL: srv.URL, TimeoutSeconds: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Send(context.Background(), message())
	if err == nil || delivery.IsPermanent(err) || strings.Contains(err.Error(), apiKey) {
		t.Fatalf("err = %v, want transient without key", err)
	}
}

func TestBadRecipientIsPermanent(t *testing.T) {
	t.Parallel()
	s := start(t, &fake{status: 202}, sendgrid.Config{})
	msg := message()
	msg.To = "nope"
	if _, err := s.Send(context.Background(), msg); !delivery.IsPermanent(err) {
		t.Fatalf("err = %v, want permanent", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := sendgrid.Config{From: "Bob <b@c.d>", BaseURL: "http://api.sendgrid.com", TimeoutSeconds: 500}.Validate()
	for _, w := range []string{"apiKey is required", "not a plain email", "https", "timeoutSeconds"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error %v lacks %q", err, w)
		}
	}
	if err := (sendgrid.Config{APIKey: "SG.x", From: "a@b.c"}).Validate(); err != nil {
		t.Errorf("minimal config rejected: %v", err)
	}
}
