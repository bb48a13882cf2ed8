package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ActivityFilter narrows the activity log of one tenant. Zero fields do not
// filter.
type ActivityFilter struct {
	EventType string
	UserID    string
	// Status keeps events with at least one delivery in this status
	// (queued, sending, sent, retrying, failed).
	Status string
	// Before continues a listing: only events older than this position.
	Before *ActivityCursor
	// Limit bounds the page (default 50, at most 200).
	Limit int
}

// ActivityCursor is a position in the newest-first activity log.
type ActivityCursor struct {
	CreatedAt time.Time
	ID        string
}

// String encodes the cursor for a URL.
func (c ActivityCursor) String() string {
	return strconv.FormatInt(Micros(c.CreatedAt), 10) + "." + c.ID
}

// ParseActivityCursor decodes ActivityCursor.String.
func ParseActivityCursor(s string) (ActivityCursor, error) {
	us, id, ok := strings.Cut(s, ".")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || id == "" {
		return ActivityCursor{}, fmt.Errorf("store: bad activity cursor %q", s)
	}
	return ActivityCursor{CreatedAt: FromMicros(n), ID: id}, nil
}

// RecentEvents lists a tenant's events, newest first, with the filter applied.
// It returns one page and the cursor of the next, or nil on the last page.
func (s *Store) RecentEvents(ctx context.Context, tenantID string, f ActivityFilter) ([]Event, *ActivityCursor, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 200)
	var where strings.Builder
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	where.WriteString(`e.tenant_id = $1`)
	if f.EventType != "" {
		where.WriteString(` AND e.event_type = ` + arg(f.EventType))
	}
	if f.UserID != "" {
		where.WriteString(` AND e.user_id = ` + arg(f.UserID))
	}
	if f.Status != "" {
		where.WriteString(` AND EXISTS (SELECT 1 FROM deliveries d WHERE d.tenant_id = e.tenant_id AND d.event_id = e.id AND d.status = ` + arg(f.Status) + `)`)
	}
	if c := f.Before; c != nil {
		at := arg(Micros(c.CreatedAt))
		where.WriteString(` AND (e.created_at < ` + at + ` OR (e.created_at = ` + at + ` AND e.id < ` + arg(c.ID) + `))`)
	}
	q := `SELECT e.tenant_id, e.id, e.event_type, e.user_id, e.payload, e.variables, e.channels, e.trace_id, e.created_at
		FROM events e WHERE ` + where.String() + ` ORDER BY e.created_at DESC, e.id DESC LIMIT ` + arg(limit+1)
	rows, err := s.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("store: recent events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var created int64
		if err := rows.Scan(&e.TenantID, &e.ID, &e.EventType, &e.UserID, &e.Payload, &e.Variables, &e.Channels, &e.TraceID, &created); err != nil {
			return nil, nil, fmt.Errorf("store: recent events: %w", err)
		}
		e.CreatedAt = FromMicros(created)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("store: recent events: %w", err)
	}
	var next *ActivityCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = &ActivityCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return out, next, nil
}

// DeliveriesOfEvents returns the deliveries of the given events of one
// tenant, grouped by event id.
func (s *Store) DeliveriesOfEvents(ctx context.Context, tenantID string, eventIDs []string) (map[string][]Delivery, error) {
	out := make(map[string][]Delivery, len(eventIDs))
	if len(eventIDs) == 0 {
		return out, nil
	}
	args := make([]any, 0, len(eventIDs)+1)
	args = append(args, tenantID)
	marks := make([]string, len(eventIDs))
	for i, id := range eventIDs {
		args = append(args, id)
		marks[i] = "$" + strconv.Itoa(i+2)
	}
	rows, err := s.Read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant_id = $1 AND event_id IN (`+strings.Join(marks, ", ")+`) ORDER BY channel, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out[d.EventID] = append(out[d.EventID], d)
	}
	return out, rows.Err()
}

// EventNotifications returns the in-app notifications an event created.
func (s *Store) EventNotifications(ctx context.Context, tenantID, eventID string) ([]Notification, error) {
	rows, err := s.Read.QueryContext(ctx, `SELECT id, tenant_id, user_id, event_id, event_type, category, title, body, status, created_at
		FROM notifications WHERE tenant_id = $1 AND event_id = $2 ORDER BY id`, tenantID, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: event notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var created int64
		if err := rows.Scan(&n.ID, &n.TenantID, &n.UserID, &n.EventID, &n.EventType, &n.Category, &n.Title, &n.Body, &n.Status, &created); err != nil {
			return nil, fmt.Errorf("store: event notifications: %w", err)
		}
		n.CreatedAt = FromMicros(created)
		out = append(out, n)
	}
	return out, rows.Err()
}
