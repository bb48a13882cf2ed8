// Package apicall makes the bounded HTTP requests that the HTTP-API providers
// (SendGrid, Twilio, Africa's Talking, webhook) share: a timeout per request,
// a cap on how much of a response is read, no redirects, transport errors that
// never carry credentials or query strings, and one mapping from HTTP status
// to the delivery error classes.
package apicall

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orqestra/orqestra/internal/delivery"
)

// DefaultTimeout bounds one provider request when the config names none.
const DefaultTimeout = 10 * time.Second

// MaxTimeout is the largest per-request timeout a config may ask for; a
// delivery job should not hang on one provider for longer.
const MaxTimeout = 2 * time.Minute

// MaxResponseBytes is how much of a response body is read. Provider answers
// are small JSON documents; anything bigger is cut, never buffered whole.
const MaxResponseBytes = 64 << 10

// maxRateLimitWait caps a provider's Retry-After so a bogus header cannot
// park a delivery for days.
const maxRateLimitWait = time.Hour

// Client sends provider requests. The zero value is not usable; use New.
type Client struct {
	http    *http.Client
	timeout time.Duration
	now     func() time.Time
}

// Option adjusts a Client; every HTTP provider's New accepts them.
type Option func(*Client)

// WithHTTPClient replaces the HTTP client (a test transport, a proxy). The
// default client does not follow redirects: a provider API that redirects a
// POST is misconfigured, and following it could resend credentials elsewhere.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithClock sets the clock for rate-limit arithmetic (tests pin it).
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// New returns a Client whose requests each time out after timeout
// (DefaultTimeout when zero).
func New(timeout time.Duration, opts ...Option) *Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &Client{
		http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}},
		timeout: timeout,
		now:     time.Now,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// TimeoutFromSeconds turns a config's timeoutSeconds into a duration,
// reporting a value outside 1..MaxTimeout (0 means the default).
func TimeoutFromSeconds(secs int) (time.Duration, error) {
	if secs == 0 {
		return DefaultTimeout, nil
	}
	if secs < 0 || time.Duration(secs)*time.Second > MaxTimeout {
		return 0, fmt.Errorf("timeoutSeconds must be between 1 and %d", int(MaxTimeout/time.Second))
	}
	return time.Duration(secs) * time.Second, nil
}

// CheckBaseURL reports whether raw is usable as an API base or webhook URL:
// absolute, http or https, no credentials or fragment, and https unless the
// host is the loopback interface (a local fake or relay).
func CheckBaseURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%s must be an absolute http(s) URL", field)
	}
	if u.User != nil {
		return fmt.Errorf("%s must not carry credentials; use the dedicated config keys", field)
	}
	if u.Fragment != "" {
		return fmt.Errorf("%s must not have a #fragment", field)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return fmt.Errorf("%s must use https (plain http is only allowed for localhost)", field)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Now returns the client's clock reading.
func (c *Client) Now() time.Time { return c.now() }

// Response is a provider's answer with its body read up to MaxResponseBytes.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req under the per-request timeout and reads the bounded body.
// A failure before a response (DNS, refused connection, timeout, reset) is
// returned as a transient error naming only the method, host and path.
func (c *Client) Do(ctx context.Context, req *http.Request) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req = req.WithContext(ctx)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", req.Method, Redact(req.URL), transportCause(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading response: %w", req.Method, Redact(req.URL), transportCause(err))
	}
	// Drain a little more so the connection can be reused, but never much.
	_, _ = io.CopyN(io.Discard, resp.Body, MaxResponseBytes)
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

// transportCause strips *url.Error, whose message repeats the full URL
// (query strings of webhook URLs often hold tokens).
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Redact renders u without user info, query or fragment, for error messages.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}

// RetryAfter reads a Retry-After header (delay seconds or an HTTP date) as a
// duration from now; 0 when absent, unparseable or in the past.
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return clampWait(time.Duration(secs) * time.Second)
	}
	if t, err := http.ParseTime(v); err == nil {
		return clampWait(t.Sub(now))
	}
	return 0
}

// UntilUnix reads a header holding a Unix timestamp (SendGrid's
// X-RateLimit-Reset) as a duration from now; 0 when absent or past.
func UntilUnix(h http.Header, name string, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0
	}
	return clampWait(time.Unix(secs, 0).Sub(now))
}

func clampWait(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	// Round partial seconds up so we never come back a moment too early.
	d = (d + time.Second - 1).Truncate(time.Second)
	return min(d, maxRateLimitWait)
}

// Classify turns a non-2xx answer into a delivery error: 429 is RateLimited
// (after 0 means "the worker's default"), 408 and 5xx are transient, 3xx and
// other 4xx are permanent. detail is the provider's own explanation; it is
// trimmed to a readable length.
func Classify(status int, after time.Duration, detail string) error {
	msg := "HTTP " + strconv.Itoa(status)
	if d := Snippet(detail); d != "" {
		msg += ": " + d
	}
	err := errors.New(msg)
	switch {
	case status == http.StatusTooManyRequests:
		return delivery.RateLimited(after, err)
	case status == http.StatusRequestTimeout || status >= 500:
		return err
	case status >= 300 && status < 500:
		return delivery.Permanent(err)
	default:
		// 1xx or a 2xx the caller did not accept: nothing says a retry fails.
		return err
	}
}

// Snippet trims a provider message for an error string: one line, at most
// 300 bytes, valid UTF-8.
func Snippet(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const limit = 300
	if len(s) <= limit {
		return s
	}
	s = s[:limit]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// IsE164 reports whether s is an E.164 phone number: "+" and 7 to 15 digits,
// the first not 0. The SMS providers check it before spending a request.
func IsE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
