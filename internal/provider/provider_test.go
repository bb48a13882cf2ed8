package provider_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider"
	"github.com/orqestra/orqestra/internal/provider/smtp/smtptest"
)

func TestChannels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind       string
		email, sms bool
	}{
		{"smtp", true, false}, {"sendgrid", true, false},
		{"twilio", false, true}, {"africastalking", false, true},
		{"webhook", true, true}, {"outbox", false, false}, {"", false, false},
	}
	for _, tt := range tests {
		if provider.Serves(tt.kind, delivery.ChannelEmail) != tt.email || provider.Serves(tt.kind, delivery.ChannelSMS) != tt.sms {
			t.Errorf("%q: Serves EMAIL/SMS = %v/%v, want %v/%v", tt.kind,
				provider.Serves(tt.kind, delivery.ChannelEmail), provider.Serves(tt.kind, delivery.ChannelSMS), tt.email, tt.sms)
		}
		if provider.Serves(tt.kind, delivery.ChannelPush) {
			t.Errorf("%q serves PUSH", tt.kind)
		}
	}
	if _, err := provider.Channels("outbox"); !errors.Is(err, provider.ErrUnknownKind) {
		t.Errorf("Channels(outbox) err = %v, want ErrUnknownKind", err)
	}
}

var minimal = map[string]string{
	"smtp":           `{"host":"smtp.example.com","from":"noreply@example.com"}`,
	"sendgrid":       `{"apiKey":"SG.abc","from":"noreply@example.com"}`,
	"twilio":         `{"accountSid":"AC123","authToken":"tok","from":"+15005550006"}`,
	"africastalking": `{"username":"sandbox","apiKey":"atsk"}`,
	"webhook":        `{"url":"https://hooks.example.com/orq"}`,
}

func TestBuildEveryKind(t *testing.T) {
	t.Parallel()
	for _, kind := range provider.Kinds() {
		s, err := provider.Build(kind, []byte(minimal[kind]), provider.Options{})
		if err != nil || s == nil {
			t.Errorf("Build(%s) = %v, %v", kind, s, err)
		}
		if err := provider.Validate(kind, []byte(minimal[kind])); err != nil {
			t.Errorf("Validate(%s) = %v", kind, err)
		}
	}
	if _, err := provider.Build("carrier-pigeon", []byte(`{}`), provider.Options{}); !errors.Is(err, provider.ErrUnknownKind) {
		t.Errorf("unknown kind err = %v", err)
	}
}

func TestValidateProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind, config string
		want               []string
	}{
		{"typo key", "smtp", `{"hots":"x","from":"a@b.c"}`, []string{`unknown key "hots"`}},
		{"wrong type", "smtp", `{"host":"x","port":"587","from":"a@b.c"}`, []string{"port must be a number"}},
		{"trailing", "webhook", `{"url":"https://x.test"} {}`, []string{"trailing data after the JSON object"}},
		{"all problems", "twilio", `{}`, []string{"accountSid is required", "authToken is required", "from or messagingServiceSid is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := provider.Problems(provider.Validate(tt.kind, []byte(tt.config)))
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Problems = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind, config string
		want         map[string]any
		hidden       []string
	}{
		{"smtp", `{"host":"smtp.example.com","username":"mailer","password":"correct-horse-battery","from":"a@b.c"}`,
			map[string]any{"host": "smtp.example.com", "username": "mailer", "password": "••••tery", "from": "a@b.c"}, []string{"correct-horse"}},
		{"sendgrid", `{"apiKey":"SG.0123456789abcdefXYZW","from":"a@b.c"}`,
			map[string]any{"apiKey": "••••XYZW", "from": "a@b.c"}, []string{"SG.0123"}},
		{"twilio", `{"accountSid":"AC123","authToken":"short","from":"+15005550006"}`,
			map[string]any{"accountSid": "AC123", "authToken": "••••", "from": "+15005550006"}, []string{"short"}},
		{"africastalking", `{"username":"acme","apiKey":"atsk_0123456789abcdef"}`,
			map[string]any{"username": "acme", "apiKey": "••••cdef"}, []string{"atsk_"}},
		{"webhook", `{"url":"https://h.test/x","secret":"whsec-abcdefghijkl","headers":{"Authorization":"Bearer 0123456789abcd"}}`,
			map[string]any{"url": "https://h.test/x", "secret": "••••ijkl", "headers": map[string]any{"Authorization": "••••abcd"}}, []string{"whsec-", "Bearer"}},
	}
	for _, tt := range tests {
		raw, err := provider.Mask(tt.kind, []byte(tt.config))
		if err != nil {
			t.Fatalf("%s: %v", tt.kind, err)
		}
		var got map[string]any
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(tt.want)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("%s: Mask = %s, want %s", tt.kind, gotJSON, wantJSON)
		}
		for _, h := range tt.hidden {
			if strings.Contains(string(raw), h) {
				t.Errorf("%s: masked view shows %q", tt.kind, h)
			}
		}
	}
}

func TestParseSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		kind  string
		pairs []string
		want  string   // JSON when ok
		errs  []string // every problem, in order
	}{
		{"smtp typed", "smtp", []string{"host=smtp.example.com", "port=2525", "security=starttls", "username=u", "password=p=w", "from=a@b.c", "fromName=Acme Inc"},
			`{"from":"a@b.c","fromName":"Acme Inc","host":"smtp.example.com","password":"p=w","port":2525,"security":"starttls","username":"u"}`, nil},
		{"webhook headers", "webhook", []string{"url=https://h.test/x", "headers.Authorization=Bearer x", "headers.X-Team=ops", "timeoutSeconds=5"},
			`{"headers":{"Authorization":"Bearer x","X-Team":"ops"},"timeoutSeconds":5,"url":"https://h.test/x"}`, nil},
		{"bool", "sendgrid", []string{"apiKey=SG.x", "from=a@b.c", "sandboxMode=yes"}, "",
			[]string{`sandboxMode must be true or false, got "yes"`}},
		{"parse problems together", "smtp", []string{"host", "prot=25", "port=abc", "host=a", "host=b"}, "",
			[]string{`"host": expected key=value`, `unknown key "prot" for smtp (keys: host, port, security, username, password, authMechanism, allowInsecureAuth, from, fromName, replyTo, heloName, timeoutSeconds)`,
				`port must be a whole number, got "abc"`, `key "host" given twice`}},
		{"map without name", "webhook", []string{"url=https://h.test", "headers=x"}, "", []string{"headers is a map: set it as headers.NAME=value"}},
		{"validation after parsing", "smtp", []string{"host=h", "security=none", "username=u", "password=p"}, "",
			[]string{"refusing AUTH without TLS: use security starttls or tls, or set allowInsecureAuth", "from is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw, err := provider.ParseSettings(tt.kind, tt.pairs)
			if tt.errs != nil {
				if got := provider.Problems(err); !slices.Equal(got, tt.errs) {
					t.Fatalf("problems\n got %q\nwant %q", got, tt.errs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(raw) != tt.want {
				t.Fatalf("ParseSettings = %s, want %s", raw, tt.want)
			}
		})
	}
}

// TestBuiltSendersDeliver proves the registry wires options through: an SMTP
// sender trusting the test server's certificate, and an HTTP sender using
// the given client.
func TestBuiltSendersDeliver(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t, smtptest.Options{Security: smtptest.StartTLS, Username: "u", Password: "pw"})
	cfg, _ := json.Marshal(map[string]any{"host": srv.Host(), "port": srv.Port(), "username": "u", "password": "pw", "from": "a@acme.test"})
	s, err := provider.Build("smtp", cfg, provider.Options{TLSConfig: srv.ClientTLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	msg := delivery.Message{DeliveryID: "d1", Channel: delivery.ChannelEmail, To: "x@example.com", Subject: "s", Text: "t"}
	if _, err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if got := srv.WaitMessages(t, 1, 5*time.Second)[0]; !got.TLS || got.AuthUser != "u" {
		t.Fatalf("message TLS=%v user=%q", got.TLS, got.AuthUser)
	}

	var hits int
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits++; w.WriteHeader(204) }))
	t.Cleanup(hs.Close)
	wcfg, _ := json.Marshal(map[string]any{"url": hs.URL})
	ws, err := provider.Build("webhook", wcfg, provider.Options{HTTPClient: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ws.Send(context.Background(), msg); err != nil || hits != 1 {
		t.Fatalf("webhook send: %v, hits %d", err, hits)
	}
}
