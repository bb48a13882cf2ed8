// Package webhook hands EMAIL or SMS deliveries to the tenant's own HTTP
// endpoint as JSON, for channels Orqestra has no built-in provider for.
//
// Requests carry Idempotency-Key: <deliveryId>, which stays the same across
// retries, and, when a secret is configured, X-Orqestra-Signature: the
// lowercase hex HMAC-SHA256 of the raw body, the same scheme the trigger API
// uses for incoming requests.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/apicall"
)

// Header names set by the sender.
const (
	SignatureHeader   = "X-Orqestra-Signature"
	IdempotencyHeader = "Idempotency-Key"
)

// maxHeaders bounds the extra static headers.
const maxHeaders = 20

// Config is one webhook provider's settings.
type Config struct {
	// URL receives the POST; https unless it points at localhost.
	URL string `json:"url"`
	// Secret, when set, signs each body into X-Orqestra-Signature.
	Secret string `json:"secret,omitempty"`
	// Headers are added to every request (for example an Authorization
	// header the receiver expects). They cannot replace the headers above.
	Headers map[string]string `json:"headers,omitempty"`
	// TimeoutSeconds bounds one request (default 10, max 120).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// reserved headers are set by the sender or by net/http and cannot be
// overridden from config.
func reserved(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Content-Length", "Host", "Transfer-Encoding", "Connection",
		http.CanonicalHeaderKey(SignatureHeader), IdempotencyHeader:
		return true
	}
	return false
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if c.URL == "" {
		add("url is required")
	} else if err := apicall.CheckBaseURL("url", c.URL); err != nil {
		problems = append(problems, err)
	}
	if len(c.Headers) > maxHeaders {
		add("at most %d headers", maxHeaders)
	}
	for name, value := range c.Headers {
		switch {
		case !isToken(name):
			add("header name %q is not valid", name)
		case reserved(name):
			add("header %q is set by Orqestra and cannot be configured", name)
		}
		if strings.ContainsAny(value, "\r\n\x00") {
			add("header %q value must be one line", name)
		}
	}
	if _, err := apicall.TimeoutFromSeconds(c.TimeoutSeconds); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("webhook config: %w", errors.Join(problems...))
	}
	return nil
}

// isToken reports whether s is an RFC 9110 token, as header names must be.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// Payload is the JSON body posted for each delivery.
type Payload struct {
	DeliveryID string `json:"deliveryId"`
	TenantID   string `json:"tenantId"`
	EventID    string `json:"eventId"`
	Channel    string `json:"channel"`
	To         string `json:"to"`
	Subject    string `json:"subject"`
	Text       string `json:"text"`
	HTML       string `json:"html"`
}

// Sign returns the lowercase hex HMAC-SHA256 of body under secret: the
// X-Orqestra-Signature value. Receivers compare it in constant time.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Sender posts deliveries to one endpoint. Safe for concurrent use.
type Sender struct {
	cfg    Config
	client *apicall.Client
}

// New validates cfg and returns a Sender.
func New(cfg Config, opts ...apicall.Option) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	timeout, _ := apicall.TimeoutFromSeconds(cfg.TimeoutSeconds)
	return &Sender{cfg: cfg, client: apicall.New(timeout, opts...)}, nil
}

// Send posts the delivery. 2xx is success (provider id from a JSON "id"
// field, when the answer has one); 429 is a rate limit (Retry-After); 408,
// 5xx and network failures are transient; other 3xx/4xx are permanent.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	body, err := json.Marshal(Payload{
		DeliveryID: msg.DeliveryID, TenantID: msg.TenantID, EventID: msg.EventID, Channel: msg.Channel,
		To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML,
	})
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("webhook: encode: %w", err))
	}
	req, err := http.NewRequest(http.MethodPost, s.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("webhook: invalid url"))
	}
	for name, value := range s.cfg.Headers {
		req.Header.Set(name, value)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Orqestra-Webhook/1")
	req.Header.Set(IdempotencyHeader, msg.DeliveryID)
	if s.cfg.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(s.cfg.Secret, body))
	}

	resp, err := s.client.Do(ctx, req)
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("webhook: %w", err)
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return delivery.Receipt{ProviderMessageID: responseID(resp.Body)}, nil
	}
	after := apicall.RetryAfter(resp.Header, s.client.Now())
	return delivery.Receipt{}, fmt.Errorf("webhook: %w", apicall.Classify(resp.Status, after, string(resp.Body)))
}

// responseID reads an optional {"id": "..."} (string or number) answer.
func responseID(body []byte) string {
	var r struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &r) != nil || len(r.ID) == 0 {
		return ""
	}
	var str string
	if json.Unmarshal(r.ID, &str) == nil {
		return apicall.Snippet(str)
	}
	var num json.Number
	if json.Unmarshal(r.ID, &num) == nil {
		return num.String()
	}
	return ""
}
