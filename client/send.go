package client

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Payload is the routing identity of one recipient, and nothing else:
// template data goes in the variables of SendNotification.
type Payload struct {
	// UserID is the recipient's id in the host application. Required.
	UserID string `json:"userId"`
	// RecipientEmail is required for the EMAIL channel.
	RecipientEmail string `json:"recipientEmail,omitempty"`
	// RecipientPhone is required for the SMS channel, in E.164 form
	// (+254712345678).
	RecipientPhone string `json:"recipientPhone,omitempty"`
}

// SendResult is the engine's acknowledgement of an accepted event. An
// accepted event is committed: it will not be lost.
type SendResult struct {
	// Message is the engine's text, "Event <type> dispatched securely for <tenant>".
	Message string
	// EventID identifies the event in the engine.
	EventID string
	// IdempotencyKey is the key the call was sent with (the caller's, or the
	// one the SDK generated); sending again with it cannot deliver twice.
	IdempotencyKey string
	// TraceID is the engine's trace id for the request, for support.
	TraceID string
}

// SendOption adjusts one SendNotification call.
type SendOption struct{ apply func(*sendOptions) }

type sendOptions struct {
	idempotencyKey string
	channels       []string
	traceID        string
	eventID        string
}

// IdempotencyKey sends key as X-Idempotency-Key. Use a key derived from the
// business fact ("order-1001-confirmed") so that even a resend after a crash
// of the caller is not delivered twice. Without it the SDK generates a
// random key per call, which protects the call's own retries.
func IdempotencyKey(key string) SendOption {
	return SendOption{func(o *sendOptions) { o.idempotencyKey = key }}
}

// Channels restricts this call to the given channels (ChannelEmail,
// ChannelSMS, ChannelPush). Without it the engine uses every channel that has
// an active template and a recipient identity.
func Channels(channels ...string) SendOption {
	return SendOption{func(o *sendOptions) { o.channels = append(o.channels, channels...) }}
}

// TraceID sends id as X-Trace-Id, to follow the event through the engine's logs.
func TraceID(id string) SendOption { return SendOption{func(o *sendOptions) { o.traceID = id }} }

// EventID sets the event's id instead of letting the engine generate one.
func EventID(id string) SendOption { return SendOption{func(o *sendOptions) { o.eventID = id }} }

// triggerBody is the wire shape of POST /api/v1/events/trigger.
type triggerBody struct {
	EventType string         `json:"eventType"`
	EventID   string         `json:"eventId,omitempty"`
	Channels  []string       `json:"channels,omitempty"`
	Payload   Payload        `json:"payload"`
	Variables map[string]any `json:"variables,omitempty"`
}

type triggerReply struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	EventID string `json:"eventId"`
}

// backoff is the seed's wait before the retry that follows the nth (from 0)
// 5xx or network failure of a call: 2 s, 8 s, 30 s.
func backoff(n int) time.Duration {
	switch n {
	case 0:
		return 2 * time.Second
	case 1:
		return 8 * time.Second
	default:
		return 30 * time.Second
	}
}

// SendNotification triggers eventType for the recipient in payload, with
// variables as the template data ({{name}} in templates; global.* event
// types need "title" and "message").
//
// The JSON body is built once; those exact bytes are signed (when a webhook
// secret is set) and sent on every attempt, always with the same
// X-Idempotency-Key. At most three retries follow, in one budget shared by:
//   - 429: after the engine's retryAfter seconds (else its Retry-After
//     header, else 2 s);
//   - 5xx and network errors: after 2 s, 8 s, then 30 s.
//
// 401 (logged as "Invalid API key or inactive tenant"), 422 (its validation
// messages logged) and any other 4xx are returned at once. An answered
// failure is an *APIError, also after the last retry; a network failure
// after the last retry is returned wrapped. A done ctx ends any wait at once.
func (c *Client) SendNotification(ctx context.Context, eventType string, payload Payload, variables map[string]any, opts ...SendOption) (*SendResult, error) {
	var o sendOptions
	for _, opt := range opts {
		if opt.apply != nil {
			opt.apply(&o)
		}
	}
	if o.idempotencyKey == "" {
		o.idempotencyKey = rand.Text()
	}
	body, err := json.Marshal(triggerBody{
		EventType: eventType,
		EventID:   o.eventID,
		Channels:  o.channels,
		Payload:   payload,
		Variables: variables,
	})
	if err != nil {
		return nil, fmt.Errorf("orqestra: encode event %q: %w", eventType, err)
	}
	header := http.Header{}
	header.Set("X-Idempotency-Key", o.idempotencyKey)
	if o.traceID != "" {
		header.Set("X-Trace-Id", o.traceID)
	}
	if len(c.secret) > 0 {
		mac := hmac.New(sha256.New, c.secret)
		mac.Write(body)
		header.Set("X-Orqestra-Signature", hex.EncodeToString(mac.Sum(nil)))
	}

	var reply triggerReply
	req := request{method: http.MethodPost, path: "/api/v1/events/trigger", body: body, header: header, wantOut: &reply}
	log := c.log.With("eventType", eventType, "idempotencyKey", o.idempotencyKey)
	failures := 0 // 5xx and network failures so far, to pick the backoff
	for retry := 0; ; retry++ {
		resp, err := c.do(ctx, req)
		if err == nil {
			return &SendResult{
				Message:        reply.Message,
				EventID:        reply.EventID,
				IdempotencyKey: o.idempotencyKey,
				TraceID:        resp.header.Get("X-Trace-Id"),
			}, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("orqestra: send %q: %w", eventType, errors.Join(ctx.Err(), err))
		}
		apiErr, answered := isAPIError(err)
		var wait time.Duration
		switch {
		case answered && apiErr.StatusCode == http.StatusTooManyRequests:
			wait = apiErr.RetryAfter
		case answered && apiErr.StatusCode >= 500:
			wait = backoff(failures)
			failures++
		case answered:
			c.logRejected(ctx, "send", apiErr)
			return nil, err
		default: // network error, or a 2xx we could not read
			if resp.status != 0 {
				// The engine accepted the event but its reply was unreadable;
				// a retry would only replay it, so report instead.
				return nil, fmt.Errorf("orqestra: send %q: %w", eventType, err)
			}
			wait = backoff(failures)
			failures++
		}
		if retry == maxRetries {
			log.ErrorContext(ctx, "orqestra: giving up after retries", "attempts", retry+1, "error", err.Error())
			if answered {
				return nil, err
			}
			return nil, fmt.Errorf("orqestra: send %q after %d attempts: %w", eventType, retry+1, err)
		}
		log.WarnContext(ctx, "orqestra: retrying", "attempt", retry+1, "wait", wait, "error", err.Error())
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, fmt.Errorf("orqestra: send %q: %w", eventType, errors.Join(serr, err))
		}
	}
}
