package africastalking_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/africastalking"
)

const apiKey = "atsk_0123456789abcdef"

// fake is shaped like POST /version1/messaging: form fields username, to,
// message, from; the apiKey header; a JSON SMSMessageData answer (HTTP 201)
// when Accept is application/json; a plain-text 401 for a bad key.
type fake struct {
	mu        sync.Mutex
	form      url.Values
	status    int    // HTTP status override
	body      string // body override
	recipient string // recipient JSON override: statusCode etc.
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/version1/messaging" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("apiKey") != apiKey {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, "The supplied authentication is invalid")
		return
	}
	if r.Header.Get("Accept") != "application/json" || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		w.WriteHeader(406)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	f.form = r.PostForm
	status, body, rc := f.status, f.body, f.recipient
	f.mu.Unlock()
	if status == 0 {
		status = 201
	}
	if body == "" {
		if rc == "" {
			rc = `"statusCode":101,"status":"Success","messageId":"ATXid_abc123","cost":"KES 0.8000"`
		}
		body = fmt.Sprintf(`{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{%s,"number":%q}]}}`, rc, r.PostForm.Get("to"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func start(t *testing.T, f *fake, cfg africastalking.Config) *africastalking.Sender {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.Username == "" {
		cfg.Username = "acme"
	}
	if cfg.APIKey == "" {
		cfg.APIKey = apiKey
	}
	s, err := africastalking.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms() delivery.Message {
	return delivery.Message{DeliveryID: "d-1", Channel: delivery.ChannelSMS, To: "+254712345678", Text: "Habari! Code 1234"}
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	for _, code := range []int{100, 101, 102} {
		f := &fake{recipient: fmt.Sprintf(`"statusCode":%d,"status":"Success","messageId":"ATXid_%d","cost":"KES 0.8000"`, code, code)}
		s := start(t, f, africastalking.Config{From: "ACME"})
		rcpt, err := s.Send(context.Background(), sms())
		if err != nil {
			t.Fatalf("status %d: %v", code, err)
		}
		if rcpt.ProviderMessageID != fmt.Sprintf("ATXid_%d", code) {
			t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
		}
		want := url.Values{"username": {"acme"}, "to": {"+254712345678"}, "message": {"Habari! Code 1234"}, "from": {"ACME"}}
		if f.form.Encode() != want.Encode() {
			t.Errorf("form = %s, want %s", f.form.Encode(), want.Encode())
		}
	}
}

func TestNoFromWhenUnset(t *testing.T) {
	t.Parallel()
	f := &fake{}
	s := start(t, f, africastalking.Config{})
	if _, err := s.Send(context.Background(), sms()); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.form["from"]; ok {
		t.Errorf("from sent although unset: %v", f.form)
	}
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		key       string
		f         *fake
		permanent bool
		rateLimit bool
		wantIn    string
	}{
		{name: "403 InvalidPhoneNumber", f: &fake{recipient: `"statusCode":403,"status":"InvalidPhoneNumber","messageId":"None","cost":"0"`}, permanent: true, wantIn: "InvalidPhoneNumber"},
		{name: "401 RiskHold", f: &fake{recipient: `"statusCode":401,"status":"RiskHold","messageId":"None","cost":"0"`}, permanent: true, wantIn: "RiskHold"},
		{name: "405 InsufficientBalance", f: &fake{recipient: `"statusCode":405,"status":"InsufficientBalance","messageId":"None","cost":"0"`}, permanent: true, wantIn: "InsufficientBalance"},
		{name: "407 CouldNotRoute", f: &fake{recipient: `"statusCode":407,"status":"CouldNotRoute","messageId":"None","cost":"0"`}, permanent: true, wantIn: "CouldNotRoute"},
		{name: "500 InternalServerError", f: &fake{recipient: `"statusCode":500,"status":"InternalServerError","messageId":"None","cost":"0"`}, wantIn: "InternalServerError"},
		{name: "501 GatewayError", f: &fake{recipient: `"statusCode":501,"status":"GatewayError","messageId":"None","cost":"0"`}, wantIn: "GatewayError"},
		{name: "request rejected without recipients", f: &fake{body: `{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`}, permanent: true, wantIn: "InvalidSenderId"},
		{name: "bad api key", key: "atsk_wrong_wrong_wrong", f: &fake{}, permanent: true, wantIn: "supplied authentication is invalid"},
		{name: "HTTP 500", f: &fake{status: 500, body: "Internal Server Error"}, wantIn: "HTTP 500"},
		{name: "HTTP 429", f: &fake{status: 429, body: "Too Many Requests"}, rateLimit: true},
		{name: "HTTP 400 invalid number", f: &fake{status: 400, body: "Invalid phone number: 254"}, permanent: true, wantIn: "Invalid phone number"},
		{name: "2xx unreadable", f: &fake{body: "<html>"}, wantIn: "unreadable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tt.f, africastalking.Config{APIKey: tt.key})
			_, err := s.Send(context.Background(), sms())
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if delivery.IsPermanent(err) != tt.permanent {
				t.Errorf("IsPermanent = %v for %v", delivery.IsPermanent(err), err)
			}
			var rl *delivery.RateLimitedError
			if errors.As(err, &rl) != tt.rateLimit {
				t.Errorf("rate limited = %v for %v", !tt.rateLimit, err)
			}
			if !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("error %q lacks %q", err, tt.wantIn)
			}
			if strings.Contains(err.Error(), "atsk_") {
				t.Errorf("error leaks the API key: %v", err)
			}
		})
	}
}

func TestBaseURLChoice(t *testing.T) {
	t.Parallel()
	// The host is only observable through requests; point both at a closed
	// port via a transport that records the URL instead.
	tests := []struct {
		cfg  africastalking.Config
		want string
	}{
		{africastalking.Config{Username: "sandbox", APIKey: "k"}, "https://api.sandbox.africastalking.com/version1/messaging"},
		{africastalking.Config{Username: "acme", APIKey: "k"}, "https://api.africastalking.com/version1/messaging"},
	}
	for _, tt := range tests {
		var got string
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			got = r.URL.String()
			return nil, errors.New("no network in this test")
		})}
		s, err := africastalking.New(tt.cfg, withClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = s.Send(context.Background(), sms())
		if got != tt.want {
			t.Errorf("username %q posted to %q, want %q", tt.cfg.Username, got, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := africastalking.Config{From: "AVeryLongSenderName", BaseURL: "ftp://x", TimeoutSeconds: -1}.Validate()
	for _, w := range []string{"username is required", "apiKey is required", "sender id", "baseUrl", "timeoutSeconds"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error %v lacks %q", err, w)
		}
	}
}
