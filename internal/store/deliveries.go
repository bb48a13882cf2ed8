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

// UpdateDelivery records an attempt's outcome. A delivery already sent is
// never moved back to another status.
func (s *Store) UpdateDelivery(ctx context.Context, tenantID, id string, u DeliveryUpdate) error {
	var sent any
	if u.Status == DeliverySent {
		sent = Micros(u.At)
	}
	res, err := s.Write.ExecContext(ctx, `UPDATE deliveries SET status = $3, attempts = $4, provider = $5, provider_message_id = $6, last_error = $7, updated_at = $8, sent_at = COALESCE(sent_at, $9), skip_providers = $10
		WHERE tenant_id = $1 AND id = $2 AND status <> 'sent'`,
		tenantID, id, u.Status, u.Attempts, u.Provider, u.ProviderMessageID, u.LastError, Micros(u.At), sent, strings.Join(u.SkipProviders, ","))
	if err != nil {
		return fmt.Errorf("store: update delivery: %w", err)
	}
	_, err = res.RowsAffected()
	return err
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
	_, err := s.Write.ExecContext(ctx, `INSERT INTO outbox_messages (id, delivery_id, tenant_id, channel, recipient, subject, body, html, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (delivery_id) DO NOTHING`, m.ID, m.DeliveryID, m.TenantID, m.Channel, m.Recipient, m.Subject, m.Body, m.HTML, Micros(m.CreatedAt))
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
