// Package twilio delivers SMS through Twilio's Programmable Messaging API
// (POST /2010-04-01/Accounts/{AccountSid}/Messages.json).
package twilio

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

// DefaultBaseURL is Twilio's REST API host.
const DefaultBaseURL = "https://api.twilio.com"

// Config is one Twilio provider's settings.
type Config struct {
	// AccountSid ("AC…") names the account; with AuthToken it is the basic
	// auth credential.
	AccountSid string `json:"accountSid"`
	AuthToken  string `json:"authToken"`
	// From is a Twilio number in E.164 or an alphanumeric sender id.
	// MessagingServiceSid ("MG…") may be given instead (or as well; Twilio
	// then picks the sender from the service).
	From                string `json:"from,omitempty"`
	MessagingServiceSid string `json:"messagingServiceSid,omitempty"`
	// StatusCallback, when set, is where Twilio posts delivery status.
	StatusCallback string `json:"statusCallback,omitempty"`
	// BaseURL overrides DefaultBaseURL (a fake in tests).
	BaseURL string `json:"baseUrl,omitempty"`
	// TimeoutSeconds bounds one request (default 10, max 120).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	switch {
	case c.AccountSid == "":
		add("accountSid is required")
	case !strings.HasPrefix(c.AccountSid, "AC") || !isAlnum(c.AccountSid):
		add("accountSid must look like AC followed by letters and digits")
	}
	if c.AuthToken == "" {
		add("authToken is required")
	}
	if c.From == "" && c.MessagingServiceSid == "" {
		add("from or messagingServiceSid is required")
	}
	if c.MessagingServiceSid != "" && (!strings.HasPrefix(c.MessagingServiceSid, "MG") || !isAlnum(c.MessagingServiceSid)) {
		add("messagingServiceSid must look like MG followed by letters and digits")
	}
	if c.StatusCallback != "" {
		if err := apicall.CheckBaseURL("statusCallback", c.StatusCallback); err != nil {
			problems = append(problems, err)
		}
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
		return fmt.Errorf("twilio config: %w", errors.Join(problems...))
	}
	return nil
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Sender sends through one Twilio account. Safe for concurrent use.
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
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	return &Sender{
		cfg:      cfg,
		endpoint: strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(cfg.AccountSid) + "/Messages.json",
		client:   apicall.New(timeout, opts...),
	}, nil
}

// Send creates a Message. 201 with a sid is success; 429 is a rate limit;
// 5xx and network failures are transient; other 4xx are permanent and carry
// Twilio's error code and message (for example 21211 invalid To).
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	if !apicall.IsE164(msg.To) {
		return delivery.Receipt{}, delivery.Permanentf("twilio: recipient %q is not an E.164 phone number", msg.To)
	}
	if msg.Text == "" {
		return delivery.Receipt{}, delivery.Permanentf("twilio: message has no text")
	}
	form := url.Values{"To": {msg.To}, "Body": {msg.Text}}
	if s.cfg.MessagingServiceSid != "" {
		form.Set("MessagingServiceSid", s.cfg.MessagingServiceSid)
	}
	if s.cfg.From != "" {
		form.Set("From", s.cfg.From)
	}
	if s.cfg.StatusCallback != "" {
		form.Set("StatusCallback", s.cfg.StatusCallback)
	}
	req, err := http.NewRequest(http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("twilio: %w", err))
	}
	req.SetBasicAuth(s.cfg.AccountSid, s.cfg.AuthToken)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")

	resp, err := s.client.Do(ctx, req)
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("twilio: %w", err)
	}
	if resp.Status >= 200 && resp.Status < 300 {
		var ok struct {
			Sid string `json:"sid"`
		}
		// A 2xx means Twilio created the message; an unreadable body must
		// not turn into a retry that sends the SMS twice.
		_ = json.Unmarshal(resp.Body, &ok)
		return delivery.Receipt{ProviderMessageID: ok.Sid}, nil
	}
	after := apicall.RetryAfter(resp.Header, s.client.Now())
	return delivery.Receipt{}, fmt.Errorf("twilio: %w", apicall.Classify(resp.Status, after, errorDetail(resp.Body)))
}

// errorDetail renders Twilio's {"code","message","more_info","status"}.
func errorDetail(body []byte) string {
	var e struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || (e.Code == 0 && e.Message == "") {
		return string(body)
	}
	if e.Code == 0 {
		return e.Message
	}
	return strconv.Itoa(e.Code) + " " + e.Message
}
