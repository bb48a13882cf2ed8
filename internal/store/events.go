package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Event is one accepted trigger.
type Event struct {
	TenantID  string
	ID        string
	EventType string
	UserID    string
	Payload   string // JSON: the routing identity
	Variables string // JSON: template data
	Channels  string // comma-separated channels it was dispatched to
	TraceID   string
	CreatedAt time.Time
}

// Notification is an in-app (PUSH) notification in a user's inbox.
type Notification struct {
	ID        string
	TenantID  string
	UserID    string
	EventID   string
	EventType string
	Category  string
	Title     string
	Body      string
	Status    string // UNREAD or READ
	CreatedAt time.Time
}

// Notification statuses.
const (
	StatusUnread = "UNREAD"
	StatusRead   = "READ"
)

// Delivery is one EMAIL or SMS message on its way out, rendered at trigger time.
type Delivery struct {
	ID                string
	TenantID          string
	EventID           string
	Channel           string
	Recipient         string
	Subject           string
	Body              string
	HTML              string
	Status            string
	Attempts          int
	Provider          string
	ProviderMessageID string
	LastError         string
	// SkipProviders are the ids of providers that failed this delivery
	// permanently; retries do not try them again.
	SkipProviders []string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	SentAt        *time.Time
}

// Delivery statuses.
const (
	DeliveryQueued   = "queued"
	DeliverySending  = "sending"
	DeliverySent     = "sent"
	DeliveryRetrying = "retrying"
	DeliveryFailed   = "failed"
)

// Idempotency is the stored first answer to a trigger with an X-Idempotency-Key.
type Idempotency struct {
	TenantID    string
	Key         string
	RequestHash string
	EventID     string
	Response    string // the JSON body of the first 200
	CreatedAt   time.Time
}

// EventWrite is everything one accepted trigger stores, committed together.
type EventWrite struct {
	Event        Event
	Notification *Notification // nil unless PUSH
	Deliveries   []Delivery
	Idempotency  *Idempotency // nil without X-Idempotency-Key
	// IdempotentSince is the oldest stored key that still counts (keys are kept 24 h).
	IdempotentSince time.Time
}

// WriteOutcome says what happened to one EventWrite in a batch.
type WriteOutcome int

// Outcomes of WriteEvents.
const (
	// Written: the event and everything with it was stored.
	Written WriteOutcome = iota
	// DuplicateKey: the idempotency key was already used; nothing was stored.
	DuplicateKey
	// DuplicateEvent: the eventId was already used; nothing was stored.
	DuplicateEvent
)

// BeginWrite starts a write transaction on the writer connection.
func (s *Store) BeginWrite(ctx context.Context) (*sql.Tx, error) {
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return tx, nil
}

// WriteEvents stores a batch of triggers inside tx, recording per write
// whether it was stored or was a duplicate (by idempotency key or eventId).
// Duplicates within the batch are detected too, because rows are written in
// order inside one transaction.
func (s *Store) WriteEvents(ctx context.Context, tx *sql.Tx, writes []*EventWrite, outcomes []WriteOutcome) error {
	var idem, ev, notif, deliv, unidem *sql.Stmt
	var used []*sql.Stmt
	prep := func(p **sql.Stmt, q string) error {
		if *p != nil {
			return nil
		}
		var err error
		if st := s.stmts[q]; st != nil {
			*p = tx.StmtContext(ctx, st)
		} else if *p, err = tx.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		used = append(used, *p)
		return nil
	}
	defer func() {
		for _, st := range used {
			st.Close()
		}
	}()
	for i, w := range writes {
		outcomes[i] = Written
		if w.Idempotency != nil {
			if err := prep(&idem, sqlClaimIdempotency); err != nil {
				return err
			}
			k := w.Idempotency
			res, err := idem.ExecContext(ctx, k.TenantID, k.Key, k.RequestHash, k.EventID, k.Response, Micros(k.CreatedAt), Micros(w.IdempotentSince))
			if err != nil {
				return fmt.Errorf("store: idempotency key: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				outcomes[i] = DuplicateKey
				continue
			}
		}
		if err := prep(&ev, sqlInsertEvent); err != nil {
			return err
		}
		e := w.Event
		res, err := ev.ExecContext(ctx, e.TenantID, e.ID, e.EventType, e.UserID, e.Payload, e.Variables, e.Channels, e.TraceID, Micros(e.CreatedAt))
		if err != nil {
			return fmt.Errorf("store: event: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			outcomes[i] = DuplicateEvent
			if w.Idempotency != nil {
				// The key was claimed just above for an event that is not
				// stored: release it so a corrected retry can use it.
				if err := prep(&unidem, sqlReleaseIdempotency); err != nil {
					return err
				}
				if _, err := unidem.ExecContext(ctx, w.Idempotency.TenantID, w.Idempotency.Key); err != nil {
					return fmt.Errorf("store: idempotency key: %w", err)
				}
			}
			continue
		}
		if n := w.Notification; n != nil {
			if err := prep(&notif, sqlInsertNotification); err != nil {
				return err
			}
			if _, err := notif.ExecContext(ctx, n.ID, n.TenantID, n.UserID, n.EventID, n.EventType, n.Category, n.Title, n.Body, n.Status, Micros(n.CreatedAt)); err != nil {
				return fmt.Errorf("store: notification: %w", err)
			}
		}
		for _, d := range w.Deliveries {
			if err := prep(&deliv, sqlInsertDelivery); err != nil {
				return err
			}
			if _, err := deliv.ExecContext(ctx, d.ID, d.TenantID, d.EventID, d.Channel, d.Recipient, d.Subject, d.Body, d.HTML, d.Status, Micros(d.CreatedAt)); err != nil {
				return fmt.Errorf("store: delivery: %w", err)
			}
		}
	}
	return nil
}

// IdempotencyRecord returns a stored key no older than since.
func (s *Store) IdempotencyRecord(ctx context.Context, tenantID, key string, since time.Time) (Idempotency, error) {
	var r Idempotency
	var created int64
	err := s.Read.QueryRowContext(ctx, `SELECT tenant_id, idem_key, request_hash, event_id, response, created_at FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2 AND created_at >= $3`,
		tenantID, key, Micros(since)).Scan(&r.TenantID, &r.Key, &r.RequestHash, &r.EventID, &r.Response, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Idempotency{}, ErrNotFound
	}
	if err != nil {
		return Idempotency{}, fmt.Errorf("store: idempotency key: %w", err)
	}
	r.CreatedAt = FromMicros(created)
	return r, nil
}

// PurgeIdempotency deletes keys older than before.
func (s *Store) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.Write.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, Micros(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge idempotency keys: %w", err)
	}
	return res.RowsAffected()
}

// Event returns one event of a tenant.
func (s *Store) Event(ctx context.Context, tenantID, id string) (Event, error) {
	var e Event
	var created int64
	err := s.Read.QueryRowContext(ctx, `SELECT tenant_id, id, event_type, user_id, payload, variables, channels, trace_id, created_at FROM events WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&e.TenantID, &e.ID, &e.EventType, &e.UserID, &e.Payload, &e.Variables, &e.Channels, &e.TraceID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, ErrNotFound
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: event: %w", err)
	}
	e.CreatedAt = FromMicros(created)
	return e, nil
}

// CountEvents counts a tenant's stored events.
func (s *Store) CountEvents(ctx context.Context, tenantID string) (int, error) {
	var n int
	err := s.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE tenant_id = $1`, tenantID).Scan(&n)
	return n, err
}

// The statements of WriteEvents, prepared once on the writer connection by
// Open (see prepareWrites).
const (
	sqlClaimIdempotency = `INSERT INTO idempotency_keys (tenant_id, idem_key, request_hash, event_id, response, created_at) VALUES ($1, $2, $3, $4, $5, $6)
				ON CONFLICT (tenant_id, idem_key) DO UPDATE SET request_hash = excluded.request_hash, event_id = excluded.event_id, response = excluded.response, created_at = excluded.created_at
				WHERE idempotency_keys.created_at < $7`
	sqlInsertEvent        = `INSERT INTO events (tenant_id, id, event_type, user_id, payload, variables, channels, trace_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (tenant_id, id) DO NOTHING`
	sqlInsertNotification = `INSERT INTO notifications (id, tenant_id, user_id, event_id, event_type, category, title, body, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	sqlInsertDelivery     = `INSERT INTO deliveries (id, tenant_id, event_id, channel, recipient, subject, body, html, status, attempts, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $10)`
	sqlReleaseIdempotency = `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND idem_key = $2`
)

// prepareWrites prepares the group commit's statements on the writer
// connection. The writer is one connection that lives as long as the store,
// so each statement is parsed once instead of once per group commit, which
// matters when batches are small (a quiet server commits one event at a
// time); tx.StmtContext reuses the connection's prepared statement. It must
// run outside any transaction: preparing needs the (only) connection.
func (s *Store) prepareWrites(ctx context.Context) error {
	s.stmts = map[string]*sql.Stmt{}
	for _, q := range []string{sqlClaimIdempotency, sqlInsertEvent, sqlInsertNotification, sqlInsertDelivery, sqlReleaseIdempotency} {
		st, err := s.Write.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("store: prepare: %w", err)
		}
		s.stmts[q] = st
	}
	return nil
}
