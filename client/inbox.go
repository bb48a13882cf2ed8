package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// The calls in this file make one attempt each: they answer a person who is
// waiting (a browser asking for its token or inbox), where a fast error beats
// a retry schedule measured in seconds.

// Token is a user token for one tenant's user: the browser connects to the
// realtime WebSocket with it and subscribes to Channels. It expires (after
// two hours by default); the browser asks the host's TokenHandler for a new one.
type Token struct {
	Token    string   `json:"token"`
	Channels []string `json:"channels"`
}

// RealtimeToken gets a user token for userID from the engine, authenticated
// with the API key. Hand it to that user's browser only.
func (c *Client) RealtimeToken(ctx context.Context, userID string) (*Token, error) {
	if userID == "" {
		return nil, fmt.Errorf("orqestra: realtime token: empty user id")
	}
	body, err := json.Marshal(struct {
		UserID string `json:"userId"`
	}{userID})
	if err != nil {
		return nil, fmt.Errorf("orqestra: realtime token: %w", err)
	}
	var tok Token
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/auth/realtime-token", body: body, wantOut: &tok}); err != nil {
		return nil, c.failed(ctx, "realtime token", err)
	}
	if tok.Token == "" {
		return nil, fmt.Errorf("orqestra: realtime token: engine answered without a token")
	}
	return &tok, nil
}

// Notification is one in-app notification of a user's inbox.
type Notification struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Status    string    `json:"status"` // "UNREAD" or "READ"
	CreatedAt time.Time `json:"created_at"`
	Category  string    `json:"category"`
	EventType string    `json:"eventType"`
}

// HistoryPage is one page of a user's inbox, newest first.
type HistoryPage struct {
	Notifications []Notification `json:"data"`
	// NextCursor fetches the next (older) page with Cursor; empty on the last page.
	NextCursor string `json:"nextCursor"`
	// UnreadCount counts the user's unread notifications, on every page:
	// exact up to 1,000; 1,000 means "1,000 or more".
	UnreadCount int `json:"unreadCount"`
}

// HistoryOption adjusts one History call.
type HistoryOption struct{ apply func(url.Values) }

// Limit asks for at most n notifications (the engine caps it).
func Limit(n int) HistoryOption {
	return HistoryOption{func(q url.Values) { q.Set("limit", strconv.Itoa(n)) }}
}

// Cursor continues from a page's NextCursor.
func Cursor(cursor string) HistoryOption {
	return HistoryOption{func(q url.Values) { q.Set("cursor", cursor) }}
}

// History fetches a page of userID's in-app notifications in tenantID.
func (c *Client) History(ctx context.Context, tenantID, userID string, opts ...HistoryOption) (*HistoryPage, error) {
	path, err := inboxPath(tenantID, userID)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, opt := range opts {
		if opt.apply != nil {
			opt.apply(q)
		}
	}
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var page HistoryPage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: path, wantOut: &page}); err != nil {
		return nil, c.failed(ctx, "history", err)
	}
	return &page, nil
}

// MarkRead marks one of userID's notifications read.
func (c *Client) MarkRead(ctx context.Context, tenantID, userID, notificationID string) error {
	path, err := inboxPath(tenantID, userID)
	if err != nil {
		return err
	}
	id, err := pathSegment("notification id", notificationID)
	if err != nil {
		return err
	}
	if _, err := c.do(ctx, request{method: http.MethodPut, path: path + "/" + id + "/read"}); err != nil {
		return c.failed(ctx, "mark read", err)
	}
	return nil
}

// MarkAllRead marks every unread notification of userID read and returns how
// many it changed.
func (c *Client) MarkAllRead(ctx context.Context, tenantID, userID string) (int, error) {
	path, err := inboxPath(tenantID, userID)
	if err != nil {
		return 0, err
	}
	var out struct {
		Updated int `json:"updated"`
	}
	if _, err := c.do(ctx, request{method: http.MethodPut, path: path + "/read-all", wantOut: &out}); err != nil {
		return 0, c.failed(ctx, "mark all read", err)
	}
	return out.Updated, nil
}

// Delivery is the state of one EMAIL or SMS delivery of an event.
type Delivery struct {
	ID                string     `json:"id"`
	Channel           string     `json:"channel"`
	Recipient         string     `json:"recipient"`
	Status            string     `json:"status"` // queued, sending, sent, retrying or failed
	Attempts          int        `json:"attempts"`
	Provider          string     `json:"provider,omitempty"`
	ProviderMessageID string     `json:"providerMessageId,omitempty"`
	LastError         string     `json:"lastError,omitempty"`
	CreatedAt         time.Time  `json:"createdAt"`
	UpdatedAt         time.Time  `json:"updatedAt"`
	SentAt            *time.Time `json:"sentAt,omitempty"`
}

// Event is a triggered event and what became of its deliveries.
type Event struct {
	ID         string     `json:"id"`
	EventType  string     `json:"eventType"`
	UserID     string     `json:"userId"`
	Channels   []string   `json:"channels"`
	TraceID    string     `json:"traceId,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	Deliveries []Delivery `json:"deliveries"`
}

// Event fetches an event of the API key's tenant with the status of each of
// its deliveries (GET /api/v1/events/{eventId}).
func (c *Client) Event(ctx context.Context, eventID string) (*Event, error) {
	id, err := pathSegment("event id", eventID)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data Event `json:"data"`
	}
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/events/" + id, wantOut: &out}); err != nil {
		return nil, c.failed(ctx, "event", err)
	}
	return &out.Data, nil
}

func inboxPath(tenantID, userID string) (string, error) {
	t, err := pathSegment("tenant id", tenantID)
	if err != nil {
		return "", err
	}
	u, err := pathSegment("user id", userID)
	if err != nil {
		return "", err
	}
	return "/api/v1/notifications/" + t + "/" + u, nil
}

// failed logs an answered failure like SendNotification does and wraps
// transport failures with the operation's name.
func (c *Client) failed(ctx context.Context, op string, err error) error {
	if apiErr, ok := isAPIError(err); ok {
		c.logRejected(ctx, op, apiErr)
		return err
	}
	return fmt.Errorf("orqestra: %s: %w", op, err)
}
