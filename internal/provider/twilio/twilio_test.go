package twilio_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/twilio"
)

const (
	sid   = "AC0123456789abcdef0123456789abcdef"
	token = "auth-token-0123456789"
)

// fake is shaped like Twilio's Create Message endpoint: basic auth
// AccountSid:AuthToken, a form body, 201 with the message resource, or the
// documented error document {"code","message","more_info","status"}.
type fake struct {
	mu     sync.Mutex
	form   url.Values
	status int
	header http.Header
	body   string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != http.MethodPost || r.URL.Path != "/2010-04-01/Accounts/"+sid+"/Messages.json" {
		w.WriteHeader(404)
		_, _ = io.WriteString(w, `{"code":20404,"message":"The requested resource was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}`)
		return
	}
	user, pass, ok := r.BasicAuth()
	if !ok || user != sid || pass != token {
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`)
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		w.WriteHeader(400)
		return
	}
	if err := r.ParseForm(); err != nil {
		w.WriteHeader(400)
		return
	}
	f.mu.Lock()
	f.form = r.PostForm
	status, header, body := f.status, f.header, f.body
	f.mu.Unlock()
	if status == 0 {
		status = 201
		body = `{"account_sid":"` + sid + `","sid":"SM0123456789abcdef0123456789abcdef","status":"queued","to":"` + r.PostForm.Get("To") + `","error_code":null}`
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func start(t *testing.T, f *fake, cfg twilio.Config) *twilio.Sender {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL
	if cfg.AccountSid == "" {
		cfg.AccountSid = sid
	}
	if cfg.AuthToken == "" {
		cfg.AuthToken = token
	}
	s, err := twilio.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sms() delivery.Message {
	return delivery.Message{DeliveryID: "d-1", TenantID: "t", Channel: delivery.ChannelSMS, To: "+254712345678", Text: "Your code is 1234"}
}

func TestSendSuccess(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  twilio.Config
		want url.Values
	}{
		{"from number", twilio.Config{From: "+15005550006"},
			url.Values{"To": {"+254712345678"}, "From": {"+15005550006"}, "Body": {"Your code is 1234"}}},
		{"messaging service with callback", twilio.Config{MessagingServiceSid: "MG0123456789abcdef0123456789abcdef", StatusCallback: "https://hooks.acme.test/twilio"},
			url.Values{"To": {"+254712345678"}, "MessagingServiceSid": {"MG0123456789abcdef0123456789abcdef"}, "Body": {"Your code is 1234"}, "StatusCallback": {"https://hooks.acme.test/twilio"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := &fake{}
			s := start(t, f, tt.cfg)
			rcpt, err := s.Send(context.Background(), sms())
			if err != nil {
				t.Fatal(err)
			}
			if rcpt.ProviderMessageID != "SM0123456789abcdef0123456789abcdef" {
				t.Errorf("ProviderMessageID = %q", rcpt.ProviderMessageID)
			}
			if f.form.Encode() != tt.want.Encode() {
				t.Errorf("form = %s, want %s", f.form.Encode(), tt.want.Encode())
			}
		})
	}
}

func TestFailureClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		token     string
		status    int
		header    http.Header
		body      string
		permanent bool
		rateAfter time.Duration
		wantIn    string
	}{
		{name: "21211 invalid To", status: 400, permanent: true,
			body:   `{"code":21211,"message":"The 'To' number +254712345678 is not a valid phone number.","more_info":"https://www.twilio.com/docs/errors/21211","status":400}`,
			wantIn: "21211 The 'To' number"},
		{name: "bad credentials", token: "wrong-token-0000000000", permanent: true, wantIn: "20003 Authenticate"},
		{name: "429 rate limit", status: 429, header: http.Header{"Retry-After": {"3"}},
			body: `{"code":20429,"message":"Too Many Requests","status":429}`, rateAfter: 3 * time.Second, wantIn: "20429"},
		{name: "500 transient", status: 500, body: `{"code":20500,"message":"Internal Server Error","status":500}`, wantIn: "20500"},
		{name: "503 non-json transient", status: 503, body: "<html>down</html>", wantIn: "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, &fake{status: tt.status, header: tt.header, body: tt.body}, twilio.Config{From: "+15005550006", AuthToken: tt.token})
			_, err := s.Send(context.Background(), sms())
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
			if strings.Contains(err.Error(), "token") {
				t.Errorf("error leaks the auth token: %v", err)
			}
		})
	}
}

func TestLocalChecksArePermanent(t *testing.T) {
	t.Parallel()
	s := start(t, &fake{}, twilio.Config{From: "+15005550006"})
	for _, to := range []string{"0712345678", "+0123456789", "+2547-1234", ""} {
		msg := sms()
		msg.To = to
		if _, err := s.Send(context.Background(), msg); !delivery.IsPermanent(err) {
			t.Errorf("To %q: err = %v, want permanent", to, err)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	err := twilio.Config{AccountSid: "XX1", MessagingServiceSid: "bad"}.Validate()
	for _, w := range []string{"accountSid must look like AC", "authToken is required", "messagingServiceSid must look like MG"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("Validate error %v lacks %q", err, w)
		}
	}
	if err := (twilio.Config{AccountSid: sid, AuthToken: "x"}).Validate(); err == nil || !strings.Contains(err.Error(), "from or messagingServiceSid") {
		t.Errorf("missing sender not reported: %v", err)
	}
}
