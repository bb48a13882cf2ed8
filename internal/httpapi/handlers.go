package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/orqestra/orqestra/internal/dispatch"
	"github.com/orqestra/orqestra/internal/realtime"
	"github.com/orqestra/orqestra/internal/store"
	"github.com/orqestra/orqestra/internal/trace"
)

// handleTrigger is POST /api/v1/events/trigger. Authentication already
// happened; then: rate limit, body, signature, dispatch.
func (s *Server) handleTrigger(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t := principalFrom(ctx).tenant
	if ok, wait, err := s.deps.Limiter.Allow(ctx, t.ID, t.RateLimit); err != nil {
		// A limiter outage must not stop notifications: fail open, loudly.
		s.log.ErrorContext(ctx, "rate limiter unavailable; allowing request", "err", err)
	} else if !ok {
		writeRateLimited(w, t.RateLimit, wait)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if t.WebhookSecret != "" && !validSignature(t.WebhookSecret, body, r.Header.Get("X-Orqestra-Signature")) {
		writeError(w, http.StatusUnauthorized, "Invalid or missing X-Orqestra-Signature")
		return
	}
	res, err := s.deps.Dispatcher.Trigger(ctx, dispatch.Trigger{
		Tenant:         t,
		Body:           body,
		IdempotencyKey: r.Header.Get("X-Idempotency-Key"),
		TraceID:        trace.ID(ctx),
	})
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	if res.Replayed {
		w.Header().Set("X-Idempotent-Replay", "true")
	}
	writeRaw(w, http.StatusOK, res.Response)
}

// eventView is GET /api/v1/events/{eventId}.
type eventView struct {
	ID         string         `json:"id"`
	EventType  string         `json:"eventType"`
	UserID     string         `json:"userId"`
	Channels   []string       `json:"channels"`
	TraceID    string         `json:"traceId,omitempty"`
	CreatedAt  string         `json:"createdAt"`
	Deliveries []deliveryView `json:"deliveries"`
}

type deliveryView struct {
	ID                string  `json:"id"`
	Channel           string  `json:"channel"`
	Recipient         string  `json:"recipient"`
	Status            string  `json:"status"`
	Attempts          int     `json:"attempts"`
	Provider          string  `json:"provider,omitempty"`
	ProviderMessageID string  `json:"providerMessageId,omitempty"`
	LastError         string  `json:"lastError,omitempty"`
	CreatedAt         string  `json:"createdAt"`
	UpdatedAt         string  `json:"updatedAt"`
	SentAt            *string `json:"sentAt,omitempty"`
}

func (s *Server) handleEvent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t := principalFrom(ctx).tenant
	e, err := s.deps.Store.Event(ctx, t.ID, r.PathValue("eventId"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Event not found")
		return
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	ds, err := s.deps.Store.EventDeliveries(ctx, t.ID, e.ID)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	v := eventView{ID: e.ID, EventType: e.EventType, UserID: e.UserID, Channels: strings.Split(e.Channels, ","), TraceID: e.TraceID,
		CreatedAt: rfc3339(e.CreatedAt), Deliveries: make([]deliveryView, 0, len(ds))}
	for _, d := range ds {
		dv := deliveryView{ID: d.ID, Channel: d.Channel, Recipient: d.Recipient, Status: d.Status, Attempts: d.Attempts, Provider: d.Provider,
			ProviderMessageID: d.ProviderMessageID, LastError: d.LastError, CreatedAt: rfc3339(d.CreatedAt), UpdatedAt: rfc3339(d.UpdatedAt)}
		if d.SentAt != nil {
			sent := rfc3339(*d.SentAt)
			dv.SentAt = &sent
		}
		v.Deliveries = append(v.Deliveries, dv)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "data": v})
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// handleRealtimeToken is POST /api/v1/auth/realtime-token.
func (s *Server) handleRealtimeToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := principalFrom(ctx)
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req struct {
		UserID *string `json:"userId"`
	}
	if len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			writeProblems(w, "request body must be a JSON object with a string userId")
			return
		}
	}
	userID := ""
	if req.UserID != nil {
		userID = strings.TrimSpace(*req.UserID)
	}
	if p.userID != "" {
		// A user refreshing their own token.
		if userID == "" {
			userID = p.userID
		}
		if userID != p.userID {
			writeError(w, http.StatusForbidden, "A user token can only be refreshed for its own user")
			return
		}
	}
	if userID == "" || len(userID) > 255 {
		writeProblems(w, "userId must be a non-empty string of at most 255 characters")
		return
	}
	token, _, err := s.deps.Tokens.Issue(p.tenant.ID, userID)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "channels": []string{realtime.Channel(p.tenant.ID, userID)}})
}

// inboxAccess checks the path's tenant and user against the caller. A key
// of another tenant, or a user token of another user, gets 403.
func (s *Server) inboxAccess(w http.ResponseWriter, r *http.Request) (tenantID, userID string, ok bool) {
	p := principalFrom(r.Context())
	tenantID, userID = r.PathValue("tenantId"), r.PathValue("userId")
	if tenantID != p.tenant.ID || (p.userID != "" && userID != p.userID) {
		writeError(w, http.StatusForbidden, "Forbidden resource")
		return "", "", false
	}
	return tenantID, userID, true
}

type historyItem struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Status    string `json:"status"`
	CreatedAt string `json:"created_at"`
	Category  string `json:"category"`
	EventType string `json:"eventType"`
}

type historyResponse struct {
	Success     bool          `json:"success"`
	Data        []historyItem `json:"data"`
	NextCursor  *string       `json:"nextCursor"`
	UnreadCount int           `json:"unreadCount"`
}

// handleHistory is GET /api/v1/notifications/{tenantId}/{userId}.
func (s *Server) handleHistory(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := s.inboxAccess(w, r)
	if !ok {
		return
	}
	q := store.HistoryQuery{Limit: 50, Cursor: r.URL.Query().Get("cursor")}
	var problems []string
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			problems = append(problems, "limit must be an integer from 1 to 200")
		}
		q.Limit = n
	}
	switch st := strings.ToUpper(r.URL.Query().Get("status")); st {
	case "", store.StatusUnread, store.StatusRead:
		q.Status = st
	default:
		problems = append(problems, "status must be UNREAD or READ")
	}
	if len(q.Cursor) > 100 {
		problems = append(problems, "cursor is not valid")
	}
	if len(problems) > 0 {
		writeProblems(w, problems...)
		return
	}
	ctx := r.Context()
	items, next, err := s.deps.Store.History(ctx, tenantID, userID, q)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	unread, err := s.deps.Store.UnreadCount(ctx, tenantID, userID)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	resp := historyResponse{Success: true, Data: make([]historyItem, len(items)), UnreadCount: unread}
	for i, n := range items {
		resp.Data[i] = historyItem{ID: n.ID, Type: n.EventType, Title: n.Title, Body: n.Body, Status: n.Status,
			CreatedAt: n.CreatedAt.Format(time.RFC3339Nano), Category: n.Category, EventType: n.EventType}
	}
	if next != "" {
		resp.NextCursor = &next
	}
	writeJSON(w, http.StatusOK, resp)
}

// handleMarkRead is PUT .../{notificationId}/read.
func (s *Server) handleMarkRead(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := s.inboxAccess(w, r)
	if !ok {
		return
	}
	err := s.deps.Store.MarkRead(r.Context(), tenantID, userID, r.PathValue("notificationId"), s.now())
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "Notification not found")
		return
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// handleMarkAllRead is PUT /api/v1/notifications/{tenantId}/{userId}/read-all.
func (s *Server) handleMarkAllRead(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := s.inboxAccess(w, r)
	if !ok {
		return
	}
	n, err := s.deps.Store.MarkAllRead(r.Context(), tenantID, userID, s.now())
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "updated": n})
}
