// Package delivery sends rendered EMAIL and SMS deliveries through a tenant's
// providers, from durable River jobs.
package delivery

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Channel names as they appear on the wire.
const (
	ChannelEmail = "EMAIL"
	ChannelSMS   = "SMS"
	ChannelPush  = "PUSH"
)

// Message is one rendered delivery, ready for a provider.
type Message struct {
	// DeliveryID is stable across retries; providers use it to make a send
	// idempotent (an SMTP Message-ID, an API idempotency key).
	DeliveryID string
	TenantID   string
	EventID    string
	Channel    string // ChannelEmail or ChannelSMS
	To         string // email address or E.164 phone number
	Subject    string // EMAIL only
	Text       string // plain-text body (the SMS text for SMS)
	HTML       string // EMAIL only, optional
}

// Receipt is what a provider says about an accepted message.
type Receipt struct {
	// ProviderMessageID is the provider's id for the message, when it gives one.
	ProviderMessageID string
}

// Sender sends one message through one provider. Implementations classify
// failures with Permanent and RateLimited; any other error is transient and
// retried with backoff.
type Sender interface {
	Send(ctx context.Context, msg Message) (Receipt, error)
}

// PermanentError marks a failure that will not change on retry: an invalid
// recipient, rejected credentials, a provider 4xx.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent wraps err so the worker fails the delivery at once.
func Permanent(err error) error { return &PermanentError{Err: err} }

// Permanentf is Permanent with fmt.Errorf formatting.
func Permanentf(format string, args ...any) error { return Permanent(fmt.Errorf(format, args...)) }

// RateLimitedError marks a provider's own rate limit; the job is snoozed for
// RetryAfter (or a default when the provider named none).
type RateLimitedError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited (retry after %s): %v", e.RetryAfter, e.Err)
}
func (e *RateLimitedError) Unwrap() error { return e.Err }

// RateLimited wraps err as a provider rate limit.
func RateLimited(after time.Duration, err error) error {
	return &RateLimitedError{RetryAfter: after, Err: err}
}

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}
