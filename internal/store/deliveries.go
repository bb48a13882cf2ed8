package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

const deliveryColumns = `id, tenant_id, event_id, channel, recipient, subject, body, html, status, attempts, provider, provider_message_id, last_error, skip_providers, created_at, updated_at, sent_at`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var created, updated int64
	var sent sql.NullInt64
	var skip string
	if err := row.Scan(&d.ID, &d.TenantID, &d.EventID, &d.Channel, &d.Recipient, &d.Subject, &d.Body, &d.HTML, &d.Status, &d.Attempts,
		&d.Provider, &d.ProviderMessageID, &d.LastError, &skip, &created, &updated, &sent); err != nil {
		return Delivery{}, err
	}
	d.SkipProviders = splitList(skip)
	d.CreatedAt = FromMicros(created)
	d.UpdatedAt = FromMicros(updated)
	if sent.Valid {
		t := FromMicros(sent.Int64)
		d.SentAt = &t
	}
	return d, nil
}

// Delivery returns one delivery of a tenant.
func (s *Store) Delivery(ctx context.Context, tenantID, id string) (Delivery, error) {
	d, err := scanDelivery(s.Read.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, ErrNotFound
	}
	if err != nil {
		return Delivery{}, fmt.Errorf("store: delivery: %w", err)
	}
	return d, nil
}

// EventDeliveries returns the deliveries of one event.
func (s *Store) EventDeliveries(ctx context.Context, tenantID, eventID string) ([]Delivery, error) {
	rows, err := s.Read.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE tenant_id = $1 AND event_id = $2 ORDER BY channel, id`, tenantID, eventID)
	if err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("store: deliveries: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// DeliveryUpdate is the outcome of one delivery attempt.
type DeliveryUpdate struct {
	Status            string
	Attempts          int
	Provider          string
	ProviderMessageID string
	LastError         string
	// SkipProviders replaces the delivery's list of providers that failed
	// it permanently.
	SkipProviders []string
	At            time.Time
}

// sqlUpdateDelivery records an attempt's outcome; a delivery already sent
// is never moved back to another status.
const sqlUpdateDelivery = `UPDATE deliveries SET status = $3, attempts = $4, provider = $5, provider_message_id = $6, last_error = $7, updated_at = $8, sent_at = COALESCE(sent_at, $9), skip_providers = $10
		WHERE tenant_id = $1 AND id = $2 AND status <> 'sent'`

// sqlSaveOutbox keeps one outbox message per delivery.
const sqlSaveOutbox = `INSERT INTO outbox_messages (id, delivery_id, tenant_id, channel, recipient, subject, body, html, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (delivery_id) DO NOTHING`

// execer is what both *sql.DB and *sql.Tx offer.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// UpdateDelivery records an attempt's outcome. A delivery already sent is
// never moved back to another status.
func (s *Store) UpdateDelivery(ctx context.Context, tenantID, id string, u DeliveryUpdate) error {
	return updateDelivery(ctx, s.Write, tenantID, id, u)
}

func updateDelivery(ctx context.Context, db execer, tenantID, id string, u DeliveryUpdate) error {
	var sent any
	if u.Status == DeliverySent {
		sent = Micros(u.At)
	}
	if _, err := db.ExecContext(ctx, sqlUpdateDelivery,
		tenantID, id, u.Status, u.Attempts, u.Provider, u.ProviderMessageID, u.LastError, Micros(u.At), sent, strings.Join(u.SkipProviders, ",")); err != nil {
		return fmt.Errorf("store: update delivery: %w", err)
	}
	return nil
}

// OutboxCompletion is one message for the outbox and the DeliverySent
// update of its delivery.
type OutboxCompletion struct {
	Message OutboxMessage
	Sent    DeliveryUpdate
}

// CompleteOutboxDelivery keeps m in the outbox and records sent (a
// DeliverySent update) on m's delivery in one transaction. The outbox's
// "send" is itself a write to this database, so storing the message and
// marking the delivery sent separately cost the single SQLite writer two
// commits per delivery for no gain: either both happen or neither does,
// and a retry after a crash finds the same state as before the attempt.
// Like SaveOutboxMessage and UpdateDelivery it is idempotent: a second call
// for the same delivery keeps the first message and the first sent time.
func (s *Store) CompleteOutboxDelivery(ctx context.Context, m OutboxMessage, sent DeliveryUpdate) error {
	return s.CompleteOutboxDeliveries(ctx, []OutboxCompletion{{Message: m, Sent: sent}})
}

// CompleteOutboxDeliveries is CompleteOutboxDelivery for several deliveries
// in one transaction (one commit for all of them); either all are stored
// or none is.
func (s *Store) CompleteOutboxDeliveries(ctx context.Context, cs []OutboxCompletion) error {
	for _, c := range cs {
		if c.Sent.Status != DeliverySent {
			return fmt.Errorf("store: complete outbox delivery: status %q, want %q", c.Sent.Status, DeliverySent)
		}
	}
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: complete outbox delivery: %w", err)
	}
	defer tx.Rollback()
	for _, c := range cs {
		if err := saveOutbox(ctx, tx, c.Message); err != nil {
			return err
		}
		if err := updateDelivery(ctx, tx, c.Message.TenantID, c.Message.DeliveryID, c.Sent); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: complete outbox delivery: %w", err)
	}
	return nil
}

// OutboxMessage is a message kept by the outbox provider instead of being sent.
type OutboxMessage struct {
	ID         string
	DeliveryID string
	TenantID   string
	Channel    string
	Recipient  string
	Subject    string
	Body       string
	HTML       string
	CreatedAt  time.Time
}

// SaveOutboxMessage keeps a message; saving the same delivery twice keeps one.
func (s *Store) SaveOutboxMessage(ctx context.Context, m OutboxMessage) error {
	return saveOutbox(ctx, s.Write, m)
}

func saveOutbox(ctx context.Context, db execer, m OutboxMessage) error {
	_, err := db.ExecContext(ctx, sqlSaveOutbox, m.ID, m.DeliveryID, m.TenantID, m.Channel, m.Recipient, m.Subject, m.Body, m.HTML, Micros(m.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: outbox: %w", err)
	}
	return nil
}

// OutboxMessages returns a tenant's newest outbox messages.
func (s *Store) OutboxMessages(ctx context.Context, tenantID string, limit int) ([]OutboxMessage, error) {
	rows, err := s.Read.QueryContext(ctx, `SELECT id, delivery_id, tenant_id, channel, recipient, subject, body, html, created_at FROM outbox_messages WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, tenantID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxMessage
	for rows.Next() {
		var m OutboxMessage
		var created int64
		if err := rows.Scan(&m.ID, &m.DeliveryID, &m.TenantID, &m.Channel, &m.Recipient, &m.Subject, &m.Body, &m.HTML, &created); err != nil {
			return nil, fmt.Errorf("store: outbox: %w", err)
		}
		m.CreatedAt = FromMicros(created)
		out = append(out, m)
	}
	return out, rows.Err()
}
