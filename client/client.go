package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Channel names accepted by Channels.
const (
	ChannelEmail = "EMAIL"
	ChannelSMS   = "SMS"
	ChannelPush  = "PUSH" // in-app: stored in the inbox and published over WebSocket
)

const (
	// defaultTimeout bounds every request when the caller brings no
	// *http.Client of their own, so a stuck engine cannot hang the host.
	defaultTimeout = 30 * time.Second
	// maxResponseBytes caps how much of any response body is read.
	maxResponseBytes = 1 << 20
	// maxRetries is the seed's "max 3 retries": at most four attempts.
	maxRetries = 3
)

// Client talks to one Orqestra engine on behalf of one tenant. It is safe for
// concurrent use.
type Client struct {
	base   string // scheme://host[/prefix] without a trailing slash
	apiKey string
	secret []byte
	hc     *http.Client
	log    *slog.Logger
	sleep  func(ctx context.Context, d time.Duration) error
}

// Option configures a Client in New.
type Option func(*Client)

// WithHTTPClient makes the Client send through hc (its Transport, Timeout and
// so on) instead of a default client with a 30 s timeout.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithLogger sends the Client's log lines (rejected keys, validation errors,
// retries) to l instead of slog.Default(). The API key, the webhook secret,
// signatures and recipient identities are never logged.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithSleep replaces how the Client waits between retries. sleep must return
// early with ctx.Err() when ctx is done. Tests use it to observe the waits
// without taking them.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) { c.sleep = sleep }
}

// WithAPIKey sets the tenant API key instead of reading ORQESTRA_API_KEY.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithWebhookSecret sets the request-signing secret instead of reading
// ORQESTRA_WEBHOOK_SECRET. An empty secret means requests are not signed.
func WithWebhookSecret(secret string) Option {
	return func(c *Client) { c.secret = []byte(secret) }
}

// New returns a Client for the engine at baseURL (for example
// "https://notifications.example.com"; a path prefix is kept). The API key
// and webhook secret are read from ORQESTRA_API_KEY and
// ORQESTRA_WEBHOOK_SECRET unless WithAPIKey or WithWebhookSecret say
// otherwise.
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("orqestra: base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("orqestra: base URL %q: want http(s)://host[:port]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("orqestra: base URL %q: no query, fragment or user info allowed", baseURL)
	}
	c := &Client{
		base:   strings.TrimRight(u.String(), "/"),
		apiKey: os.Getenv("ORQESTRA_API_KEY"),
		secret: []byte(os.Getenv("ORQESTRA_WEBHOOK_SECRET")),
		sleep:  sleepContext,
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: defaultTimeout}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// sleepContext waits d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// APIError is a request the engine answered with a non-2xx status. Read it
// with errors.As:
//
//	var apiErr *client.APIError
//	if errors.As(err, &apiErr) && apiErr.StatusCode == 422 { ... }
type APIError struct {
	// StatusCode is the HTTP status of the last attempt.
	StatusCode int
	// Messages holds the body's "message": every validation problem of a
	// 422, or the single reason of other errors.
	Messages []string
	// Reason is the body's "error" field, such as "Too Many Requests".
	Reason string
	// RetryAfter is how long a 429 asked the caller to wait (zero otherwise).
	RetryAfter time.Duration
}

// Error reads like "orqestra: 422 Unprocessable Entity: eventType is required".
func (e *APIError) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = http.StatusText(e.StatusCode)
	}
	msg := fmt.Sprintf("orqestra: %d %s", e.StatusCode, reason)
	if len(e.Messages) > 0 {
		msg += ": " + strings.Join(e.Messages, "; ")
	}
	return msg
}

// errorBody is the engine's error shape; message is a string or a list.
type errorBody struct {
	Message    json.RawMessage `json:"message"`
	Error      string          `json:"error"`
	RetryAfter json.RawMessage `json:"retryAfter"` // seconds; raw so a bad value cannot spoil the rest
}

// newAPIError builds an APIError from a response whose body was already read.
// Bodies that are not the engine's JSON (a proxy's HTML page) still give a
// usable error from the status alone.
func newAPIError(resp *http.Response, body []byte) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	var eb errorBody
	if json.Unmarshal(body, &eb) != nil {
		return e
	}
	e.Reason = eb.Error
	var one string
	var many []string
	switch {
	case json.Unmarshal(eb.Message, &many) == nil:
		e.Messages = many
	case json.Unmarshal(eb.Message, &one) == nil && one != "":
		e.Messages = []string{one}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = retryAfter(eb.RetryAfter, resp.Header.Get("Retry-After"))
	}
	return e
}

// maxRetryAfter keeps a broken or hostile answer from parking the caller
// (or overflowing time.Duration); the context can always end a wait sooner.
const maxRetryAfter = time.Hour

// retryAfter picks the wait of a 429: the body's retryAfter seconds, else the
// Retry-After header's seconds, else 2 s.
func retryAfter(body json.RawMessage, header string) time.Duration {
	for _, s := range []string{strings.Trim(string(body), `"`), strings.TrimSpace(header)} {
		secs, err := strconv.ParseFloat(s, 64)
		if err != nil || !(secs > 0) || math.IsInf(secs, 0) {
			continue
		}
		if secs > maxRetryAfter.Seconds() {
			return maxRetryAfter
		}
		return time.Duration(secs * float64(time.Second))
	}
	return 2 * time.Second
}

// request is one HTTP exchange; body is nil or the exact bytes to send (and
// to resend on a retry).
type request struct {
	method  string
	path    string // already escaped
	body    []byte
	header  http.Header
	wantOut any // decoded from a 2xx body when non-nil
}

// response is what one attempt produced.
type response struct {
	status int
	header http.Header
}

// do performs one attempt. A non-2xx answer is returned as *APIError; a
// transport failure as the transport's error.
func (c *Client) do(ctx context.Context, r request) (response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return response{}, err
	}
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("x-api-key", c.apiKey)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return response{}, fmt.Errorf("read response: %w", err)
	}
	out := response{status: resp.StatusCode, header: resp.Header}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if len(data) > maxResponseBytes {
			data = nil // a truncated body is not JSON; keep the status only
		}
		return out, newAPIError(resp, data)
	}
	if len(data) > maxResponseBytes {
		return out, fmt.Errorf("response larger than %d bytes", maxResponseBytes)
	}
	if r.wantOut != nil {
		if err := json.Unmarshal(data, r.wantOut); err != nil {
			return out, fmt.Errorf("decode %d response: %w", resp.StatusCode, err)
		}
	}
	return out, nil
}

// logRejected writes the seed's log line for an answer that will not be
// retried.
func (c *Client) logRejected(ctx context.Context, op string, e *APIError) {
	switch e.StatusCode {
	case http.StatusUnauthorized:
		// The seed's wording; the engine's own reason (a bad signature, say)
		// follows as an attribute.
		c.log.ErrorContext(ctx, "Invalid API key or inactive tenant", "op", op,
			"status", e.StatusCode, "reason", strings.Join(e.Messages, "; "))
	case http.StatusUnprocessableEntity, http.StatusBadRequest:
		c.log.ErrorContext(ctx, "orqestra: request rejected by validation", "op", op,
			"status", e.StatusCode, "errors", e.Messages)
	default:
		c.log.ErrorContext(ctx, "orqestra: request failed", "op", op,
			"status", e.StatusCode, "error", e.Error())
	}
}

// pathSegment escapes one id for a URL path and refuses ids that a server
// would read as something else.
func pathSegment(name, v string) (string, error) {
	if v == "" || v == "." || v == ".." {
		return "", fmt.Errorf("orqestra: %s %q is not a valid id", name, v)
	}
	return url.PathEscape(v), nil
}

// isAPIError reports whether err is an *APIError and returns it.
func isAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}
