// Package africastalking delivers SMS through Africa's Talking's bulk SMS
// API (POST /version1/messaging).
package africastalking

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/apicall"
)

// API hosts. The username "sandbox" belongs to the sandbox, whose messages
// only reach Africa's Talking's simulator.
const (
	LiveBaseURL    = "https://api.africastalking.com"
	SandboxBaseURL = "https://api.sandbox.africastalking.com"
)

// Config is one Africa's Talking provider's settings.
type Config struct {
	// Username is the app's username; "sandbox" selects SandboxBaseURL.
	Username string `json:"username"`
	// APIKey is the app's API key, sent in the apiKey header.
	APIKey string `json:"apiKey"`
	// From is an approved alphanumeric sender id or short code; empty uses
	// the account default.
	From string `json:"from,omitempty"`
	// BaseURL overrides the live/sandbox choice (a fake in tests).
	BaseURL string `json:"baseUrl,omitempty"`
	// TimeoutSeconds bounds one request (default 10, max 120).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(c.Username) == "" {
		add("username is required (use \"sandbox\" for the sandbox)")
	}
	if strings.TrimSpace(c.APIKey) == "" {
		add("apiKey is required")
	} else if strings.ContainsAny(c.APIKey, " \r\n") {
		add("apiKey must not contain spaces or line breaks")
	}
	if len(c.From) > 11 && !isDigits(c.From) {
		add("from must be a short code or an alphanumeric sender id of at most 11 characters")
	}
	if c.BaseURL != "" {
		if err := apicall.CheckBaseURL("baseUrl", c.BaseURL); err != nil {
			problems = append(problems, err)
		}
	}
	if _, err := apicall.TimeoutFromSeconds(c.TimeoutSeconds); err != nil {
		problems = append(problems, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("africastalking config: %w", errors.Join(problems...))
	}
	return nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Sender sends through one Africa's Talking app. Safe for concurrent use.
type Sender struct {
	cfg      Config
	endpoint string
	client   *apicall.Client
}

// New validates cfg and returns a Sender.
func New(cfg Config, opts ...apicall.Option) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	timeout, _ := apicall.TimeoutFromSeconds(cfg.TimeoutSeconds)
	return &Sender{
		cfg:      cfg,
		endpoint: strings.TrimRight(cfg.baseURL(), "/") + "/version1/messaging",
		client:   apicall.New(timeout, opts...),
	}, nil
}

func (c Config) baseURL() string {
	switch {
	case c.BaseURL != "":
		return c.BaseURL
	case c.Username == "sandbox":
		return SandboxBaseURL
	default:
		return LiveBaseURL
	}
}

// statusName names a recipient statusCode from SMSMessageData.Recipients.
func statusName(code int) string {
	switch code {
	case 100:
		return "Processed"
	case 101:
		return "Sent"
	case 102:
		return "Queued"
	case 401:
		return "RiskHold"
	case 402:
		return "InvalidSenderId"
	case 403:
		return "InvalidPhoneNumber"
	case 404:
		return "UnsupportedNumberType"
	case 405:
		return "InsufficientBalance"
	case 406:
		return "UserInBlacklist"
	case 407:
		return "CouldNotRoute"
	case 409:
		return "DoNotDisturbRejection"
	case 500:
		return "InternalServerError"
	case 501:
		return "GatewayError"
	case 502:
		return "RejectedByGateway"
	}
	return ""
}

type response struct {
	SMSMessageData struct {
		Message    string `json:"Message"`
		Recipients []struct {
			StatusCode int    `json:"statusCode"`
			Number     string `json:"number"`
			Status     string `json:"status"`
			Cost       string `json:"cost"`
			MessageID  string `json:"messageId"`
		} `json:"Recipients"`
	} `json:"SMSMessageData"`
}

// Send posts one SMS. Recipient statusCode 100-102 is success; 401-409
// (risk hold, invalid sender id or number, insufficient balance, blacklist,
// routing, DND) are permanent; 500-502 and unknown codes are transient. At
// the HTTP level 429 is a rate limit, 5xx transient, other 4xx (a rejected
// apiKey) permanent.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	if !apicall.IsE164(msg.To) {
		return delivery.Receipt{}, delivery.Permanentf("africastalking: recipient %q is not an E.164 phone number", msg.To)
	}
	if msg.Text == "" {
		return delivery.Receipt{}, delivery.Permanentf("africastalking: message has no text")
	}
	form := url.Values{"username": {s.cfg.Username}, "to": {msg.To}, "message": {msg.Text}}
	if s.cfg.From != "" {
		form.Set("from", s.cfg.From)
	}
	req, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("africastalking: %w", err))
	}
	req.Header.Set("apiKey", s.cfg.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := s.client.Do(ctx, req)
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("africastalking: %w", err)
	}
	if resp.Status < 200 || resp.Status >= 300 {
		after := apicall.RetryAfter(resp.Header, s.client.Now())
		return delivery.Receipt{}, fmt.Errorf("africastalking: %w", apicall.Classify(resp.Status, after, string(resp.Body)))
	}
	var r response
	if err := json.Unmarshal(resp.Body, &r); err != nil {
		// Accepted at HTTP level but unreadable: we cannot tell whether the
		// SMS went out, so a retry is the lesser evil than a lost message.
		return delivery.Receipt{}, fmt.Errorf("africastalking: HTTP %d with unreadable body: %s", resp.Status, apicall.Snippet(string(resp.Body)))
	}
	if len(r.SMSMessageData.Recipients) == 0 {
		// The whole request was refused, e.g. Message "InvalidSenderId".
		return delivery.Receipt{}, delivery.Permanentf("africastalking: rejected: %s", apicall.Snippet(r.SMSMessageData.Message))
	}
	rc := r.SMSMessageData.Recipients[0]
	name := statusName(rc.StatusCode)
	if name == "" {
		name = rc.Status
	}
	detail := fmt.Errorf("status %s %s", strconv.Itoa(rc.StatusCode), name)
	switch {
	case rc.StatusCode >= 100 && rc.StatusCode <= 102:
		return delivery.Receipt{ProviderMessageID: rc.MessageID}, nil
	case rc.StatusCode >= 400 && rc.StatusCode < 500:
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("africastalking: %w", detail))
	default:
		return delivery.Receipt{}, fmt.Errorf("africastalking: %w", detail)
	}
}
