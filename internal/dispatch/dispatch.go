// Package dispatch is the trigger use case: validate an event, pick its
// channels, render its templates, commit it durably, and publish its in-app
// notification.
package dispatch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/orqestra/orqestra/internal/delivery"
	"github.com/orqestra/orqestra/internal/store"
)

// IdempotencyWindow is how long an X-Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

const (
	maxIdempotencyKeyLen = 255
	commitTimeout        = 30 * time.Second
)

// Publisher publishes an in-app notification to a user's realtime channel.
type Publisher interface {
	Publish(tenantID, userID string, data []byte) error
}

// Dispatcher handles triggers.
type Dispatcher struct {
	store     *store.Store
	committer *Committer
	publisher Publisher
	templates *templateCache
	now       func() time.Time
	log       *slog.Logger
}

// Config holds what a Dispatcher needs.
type Config struct {
	Store     *store.Store
	Committer *Committer
	Publisher Publisher
	// TemplateTTL is how long a tenant's templates are cached (default 1 s).
	TemplateTTL time.Duration
	Now         func() time.Time
	Log         *slog.Logger
}

// New returns a Dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.TemplateTTL <= 0 {
		cfg.TemplateTTL = time.Second
	}
	return &Dispatcher{
		store:     cfg.Store,
		committer: cfg.Committer,
		publisher: cfg.Publisher,
		templates: &templateCache{store: cfg.Store, ttl: cfg.TemplateTTL, now: cfg.Now, tenants: map[string]*tenantTemplates{}},
		now:       cfg.Now,
		log:       cfg.Log,
	}
}

// Trigger is one call of POST /api/v1/events/trigger, already authenticated.
type Trigger struct {
	Tenant         store.Tenant
	Body           []byte
	IdempotencyKey string
	TraceID        string
}

// Result is the answer to a trigger.
type Result struct {
	EventID string
	// Response is the JSON success body; a replay returns the first one.
	Response []byte
	Replayed bool
	// Channels the event was dispatched to.
	Channels []string
}

// Response is the success body of a trigger.
type Response struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	EventID string `json:"eventId"`
}

// Notification is the realtime publication of an in-app notification.
type Notification struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Category  string `json:"category"`
	EventType string `json:"eventType"`
	CreatedAt string `json:"createdAt"`
}

// Trigger validates, renders, commits and publishes one event. Errors are
// *ValidationError (422), *ConflictError (409) or internal.
func (d *Dispatcher) Trigger(ctx context.Context, t Trigger) (Result, error) {
	now := d.now().UTC()
	var idem *store.Idempotency
	since := now.Add(-IdempotencyWindow)
	if t.IdempotencyKey != "" {
		if len(t.IdempotencyKey) > maxIdempotencyKeyLen || !printable(t.IdempotencyKey) {
			return Result{}, &ValidationError{Messages: []string{fmt.Sprintf("X-Idempotency-Key must be at most %d printable characters", maxIdempotencyKeyLen)}}
		}
		sum := sha256.Sum256(t.Body)
		idem = &store.Idempotency{TenantID: t.Tenant.ID, Key: t.IdempotencyKey, RequestHash: hex.EncodeToString(sum[:]), CreatedAt: now}
		if r, ok, err := d.replay(ctx, idem, since); ok || err != nil {
			return r, err
		}
	}

	req, problems := parse(t.Body)
	if len(problems) > 0 {
		return Result{}, &ValidationError{Messages: problems}
	}
	plan, problems, err := d.plan(ctx, t.Tenant.ID, req)
	if err != nil {
		return Result{}, err
	}
	if len(problems) > 0 {
		return Result{}, &ValidationError{Messages: problems}
	}

	eventID := req.EventID
	if eventID == "" {
		eventID = "evt_" + newID()
	}
	resp, err := json.Marshal(Response{
		Success: true,
		Message: fmt.Sprintf("Event %s dispatched securely for %s", req.EventType, t.Tenant.Name),
		EventID: eventID,
	})
	if err != nil {
		return Result{}, fmt.Errorf("dispatch: %w", err)
	}
	w := &store.EventWrite{
		Event: store.Event{
			TenantID: t.Tenant.ID, ID: eventID, EventType: req.EventType, UserID: req.UserID,
			Payload: string(req.Payload), Variables: string(req.VariablesJSON),
			Channels: strings.Join(plan.channels, ","), TraceID: t.TraceID, CreatedAt: now,
		},
		IdempotentSince: since,
	}
	if idem != nil {
		idem.EventID = eventID
		idem.Response = string(resp)
		w.Idempotency = idem
	}
	var pub []byte
	for _, c := range plan.channels {
		tpl := plan.templates[c]
		switch c {
		case delivery.ChannelPush:
			n := &store.Notification{
				ID: "ntf_" + newID(), TenantID: t.Tenant.ID, UserID: req.UserID, EventID: eventID, EventType: req.EventType,
				Category: tpl.category, Title: tpl.title.Text(req.Variables), Body: tpl.body.Text(req.Variables),
				Status: store.StatusUnread, CreatedAt: now,
			}
			w.Notification = n
			pub, err = json.Marshal(Notification{ID: n.ID, Title: n.Title, Body: n.Body, Category: n.Category, EventType: n.EventType, CreatedAt: now.Format(time.RFC3339Nano)})
			if err != nil {
				return Result{}, fmt.Errorf("dispatch: %w", err)
			}
		case delivery.ChannelEmail, delivery.ChannelSMS:
			dl := store.Delivery{
				ID: "dlv_" + newID(), TenantID: t.Tenant.ID, EventID: eventID, Channel: c,
				Body: tpl.body.Text(req.Variables), Status: store.DeliveryQueued, CreatedAt: now,
			}
			if c == delivery.ChannelEmail {
				dl.Recipient = req.RecipientEmail
				dl.Subject = tpl.subject.Text(req.Variables)
				if tpl.html != nil {
					dl.HTML = tpl.html.HTML(req.Variables)
				}
			} else {
				dl.Recipient = req.RecipientPhone
			}
			w.Deliveries = append(w.Deliveries, dl)
		}
	}

	outcome, err := d.committer.Commit(ctx, w)
	if err != nil {
		return Result{}, err
	}
	switch outcome {
	case store.DuplicateKey:
		// A concurrent request with the same key committed first.
		r, ok, err := d.replay(ctx, idem, since)
		if err == nil && !ok {
			err = errors.New("dispatch: idempotency key vanished")
		}
		return r, err
	case store.DuplicateEvent:
		return Result{}, &ConflictError{EventID: eventID}
	}
	if pub != nil {
		// The notification is committed: a failed publish only delays it
		// until the bell next reads its history.
		if err := d.publisher.Publish(t.Tenant.ID, req.UserID, pub); err != nil {
			d.log.WarnContext(ctx, "publish failed", "event_id", eventID, "err", err)
		}
	}
	return Result{EventID: eventID, Response: resp, Channels: plan.channels}, nil
}

// replay answers a repeated idempotency key: the first response when the body
// is the same, a validation error when it is not.
func (d *Dispatcher) replay(ctx context.Context, idem *store.Idempotency, since time.Time) (Result, bool, error) {
	rec, err := d.store.IdempotencyRecord(ctx, idem.TenantID, idem.Key, since)
	if errors.Is(err, store.ErrNotFound) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	if rec.RequestHash != idem.RequestHash {
		return Result{}, true, &ValidationError{Messages: []string{"X-Idempotency-Key has already been used with a different request body"}}
	}
	return Result{EventID: rec.EventID, Response: []byte(rec.Response), Replayed: true}, true, nil
}

type plan struct {
	channels  []string
	templates map[string]*compiled
}

// plan picks the channels an event goes to and their templates. Without
// channels in the request: every channel with an active template and a
// recipient identity. With channels: exactly those, each of which must have
// an active template.
func (d *Dispatcher) plan(ctx context.Context, tenantID string, req request) (plan, []string, error) {
	p := plan{templates: make(map[string]*compiled, 3)}
	var problems []string
	explicit := req.Channels != nil
	candidates := req.Channels
	if !explicit {
		candidates = []string{delivery.ChannelPush, delivery.ChannelEmail, delivery.ChannelSMS}
	}
	var missing []string
	for _, c := range candidates {
		if !explicit && ((c == delivery.ChannelEmail && req.RecipientEmail == "") || (c == delivery.ChannelSMS && req.RecipientPhone == "")) {
			continue
		}
		tpl, err := d.templates.lookup(ctx, tenantID, req.EventType, c)
		if err != nil {
			return plan{}, nil, err
		}
		if tpl == nil {
			missing = append(missing, c)
			continue
		}
		p.channels = append(p.channels, c)
		p.templates[c] = tpl
	}
	switch {
	case explicit && len(missing) > 0:
		problems = append(problems, fmt.Sprintf("eventType %q has no active template for channel %s", req.EventType, strings.Join(missing, ", ")))
	case len(p.channels) == 0:
		problems = append(problems, fmt.Sprintf("eventType %q has no active template for any wanted channel; create and activate one first", req.EventType))
	}
	return p, problems, nil
}

// ForgetTemplates drops a tenant's cached templates after a change in this process.
func (d *Dispatcher) ForgetTemplates(tenantID string) { d.templates.forget(tenantID) }

// newID returns a time-ordered unique id (UUIDv7 without dashes), so ids sort
// by creation time and history pages can use them as cursors.
func newID() string {
	u := uuid.Must(uuid.NewV7())
	var buf [32]byte
	hex.Encode(buf[:], u[:])
	return string(buf[:])
}
