// Package sendgrid delivers EMAIL through the SendGrid v3 Mail Send API
// (POST /v3/mail/send).
package sendgrid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"strings"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/provider/apicall"
)

// DefaultBaseURL is SendGrid's global API host. EU-pinned accounts use
// https://api.eu.sendgrid.com.
const DefaultBaseURL = "https://api.sendgrid.com"

// Config is one SendGrid provider's settings.
type Config struct {
	// APIKey is a SendGrid API key with Mail Send permission ("SG.…").
	APIKey string `json:"apiKey"`
	// From must be a verified sender or on an authenticated domain.
	From     string `json:"from"`
	FromName string `json:"fromName,omitempty"`
	ReplyTo  string `json:"replyTo,omitempty"`
	// BaseURL overrides DefaultBaseURL (EU region, or a fake in tests).
	BaseURL string `json:"baseUrl,omitempty"`
	// SandboxMode asks SendGrid to validate without delivering.
	SandboxMode bool `json:"sandboxMode,omitempty"`
	// TimeoutSeconds bounds one request (default 10, max 120).
	TimeoutSeconds int `json:"timeoutSeconds,omitempty"`
}

// Validate reports every problem with the config at once.
func (c Config) Validate() error {
	var problems []error
	add := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if strings.TrimSpace(c.APIKey) == "" {
		add("apiKey is required")
	} else if strings.ContainsAny(c.APIKey, " \r\n") {
		add("apiKey must not contain spaces or line breaks")
	}
	if c.From == "" {
		add("from is required")
	} else if a, err := mail.ParseAddress(c.From); err != nil || a.Name != "" {
		add("from %q is not a plain email address (put the display name in fromName)", c.From)
	}
	if c.ReplyTo != "" {
		if _, err := mail.ParseAddress(c.ReplyTo); err != nil {
			add("replyTo %q is not an email address", c.ReplyTo)
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
		return fmt.Errorf("sendgrid config: %w", errors.Join(problems...))
	}
	return nil
}

// Sender sends through one SendGrid account. Safe for concurrent use.
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
		endpoint: strings.TrimRight(base, "/") + "/v3/mail/send",
		client:   apicall.New(timeout, opts...),
	}, nil
}

type address struct {
	Email string `json:"email"`
	Name  string `json:"name,omitempty"`
}

type content struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type request struct {
	Personalizations []struct {
		To []address `json:"to"`
	} `json:"personalizations"`
	From         address           `json:"from"`
	ReplyTo      *address          `json:"reply_to,omitempty"`
	Subject      string            `json:"subject"`
	Content      []content         `json:"content"`
	CustomArgs   map[string]string `json:"custom_args"`
	MailSettings *struct {
		SandboxMode struct {
			Enable bool `json:"enable"`
		} `json:"sandbox_mode"`
	} `json:"mail_settings,omitempty"`
}

// Send posts msg to SendGrid. 202 is success with the X-Message-Id header as
// the provider id; 429 is a rate limit (Retry-After or X-RateLimit-Reset);
// 5xx and network failures are transient; any other 4xx is permanent.
func (s *Sender) Send(ctx context.Context, msg delivery.Message) (delivery.Receipt, error) {
	to, err := mail.ParseAddress(msg.To)
	if err != nil {
		return delivery.Receipt{}, delivery.Permanentf("sendgrid: invalid recipient %q", msg.To)
	}
	if msg.Text == "" && msg.HTML == "" {
		return delivery.Receipt{}, delivery.Permanentf("sendgrid: message has no body")
	}
	var req request
	req.Personalizations = make([]struct {
		To []address `json:"to"`
	}, 1)
	req.Personalizations[0].To = []address{{Email: to.Address, Name: to.Name}}
	req.From = address{Email: s.cfg.From, Name: s.cfg.FromName}
	if s.cfg.ReplyTo != "" {
		req.ReplyTo = &address{Email: s.cfg.ReplyTo}
	}
	req.Subject = msg.Subject
	// SendGrid requires text/plain before text/html, and no empty values.
	if msg.Text != "" {
		req.Content = append(req.Content, content{Type: "text/plain", Value: msg.Text})
	}
	if msg.HTML != "" {
		req.Content = append(req.Content, content{Type: "text/html", Value: msg.HTML})
	}
	// custom_args come back on SendGrid's event webhook, tying delivery
	// events to our rows.
	req.CustomArgs = map[string]string{"delivery_id": msg.DeliveryID, "tenant_id": msg.TenantID, "event_id": msg.EventID}
	if s.cfg.SandboxMode {
		req.MailSettings = &struct {
			SandboxMode struct {
				Enable bool `json:"enable"`
			} `json:"sandbox_mode"`
		}{}
		req.MailSettings.SandboxMode.Enable = true
	}
	body, err := json.Marshal(req)
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("sendgrid: encode: %w", err))
	}

	hreq, err := http.NewRequest(http.MethodPost, s.endpoint, bytes.NewReader(body))
	if err != nil {
		return delivery.Receipt{}, delivery.Permanent(fmt.Errorf("sendgrid: %w", err))
	}
	hreq.Header.Set("Authorization", "Bearer "+s.cfg.APIKey)
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")

	resp, err := s.client.Do(ctx, hreq)
	if err != nil {
		return delivery.Receipt{}, fmt.Errorf("sendgrid: %w", err)
	}
	if resp.Status >= 200 && resp.Status < 300 {
		return delivery.Receipt{ProviderMessageID: resp.Header.Get("X-Message-Id")}, nil
	}
	after := apicall.RetryAfter(resp.Header, s.client.Now())
	if after == 0 {
		after = apicall.UntilUnix(resp.Header, "X-RateLimit-Reset", s.client.Now())
	}
	return delivery.Receipt{}, fmt.Errorf("sendgrid: %w", apicall.Classify(resp.Status, after, errorDetail(resp.Body)))
}

// errorDetail joins SendGrid's {"errors":[{"message","field"}]} entries, or
// falls back to the raw body.
func errorDetail(body []byte) string {
	var e struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return string(body)
	}
	parts := make([]string, 0, len(e.Errors))
	for _, x := range e.Errors {
		if x.Field != nil && *x.Field != "" {
			parts = append(parts, *x.Field+": "+x.Message)
		} else {
			parts = append(parts, x.Message)
		}
	}
	return strings.Join(parts, "; ")
}
