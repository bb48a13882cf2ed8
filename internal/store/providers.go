package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Provider is one delivery provider of a tenant for one channel. Its config
// (credentials included) is stored only sealed; package provider opens it.
type Provider struct {
	ID       string
	TenantID string
	Channel  string // EMAIL or SMS
	Kind     string // smtp, sendgrid, twilio, africastalking, webhook
	Name     string // shown in lists and recorded on deliveries
	// Priority orders a channel's providers: 1 is tried first.
	Priority int
	// Active providers receive deliveries; an inactive one is kept but skipped.
	Active bool
	// ConfigSealed is the JSON config sealed by secret.Box, bound to
	// (TenantID, ID).
	ConfigSealed string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

const providerColumns = `id, tenant_id, channel, kind, name, priority, active, config_sealed, created_at, updated_at`

func scanProvider(row interface{ Scan(...any) error }) (Provider, error) {
	var p Provider
	var active int
	var created, updated int64
	if err := row.Scan(&p.ID, &p.TenantID, &p.Channel, &p.Kind, &p.Name, &p.Priority, &active, &p.ConfigSealed, &created, &updated); err != nil {
		return Provider{}, err
	}
	p.Active = active == 1
	p.CreatedAt = FromMicros(created)
	p.UpdatedAt = FromMicros(updated)
	return p, nil
}

// CreateProvider stores a new provider.
func (s *Store) CreateProvider(ctx context.Context, p Provider) error {
	_, err := s.Write.ExecContext(ctx, `INSERT INTO providers (`+providerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		p.ID, p.TenantID, p.Channel, p.Kind, p.Name, p.Priority, boolInt(p.Active), p.ConfigSealed, Micros(p.CreatedAt), Micros(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: create provider: %w", err)
	}
	return nil
}

// Provider returns one provider of a tenant, or ErrNotFound.
func (s *Store) Provider(ctx context.Context, tenantID, id string) (Provider, error) {
	p, err := scanProvider(s.Read.QueryRowContext(ctx, `SELECT `+providerColumns+` FROM providers WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Provider{}, ErrNotFound
	}
	if err != nil {
		return Provider{}, fmt.Errorf("store: provider: %w", err)
	}
	return p, nil
}

// Providers lists a tenant's providers, inactive ones included, by channel
// and priority.
func (s *Store) Providers(ctx context.Context, tenantID string) ([]Provider, error) {
	return s.queryProviders(ctx, `SELECT `+providerColumns+` FROM providers WHERE tenant_id = $1 ORDER BY channel, priority, created_at, id`, tenantID)
}

// ActiveProviders lists a tenant's active providers for channel in the order
// deliveries try them: priority, then age.
func (s *Store) ActiveProviders(ctx context.Context, tenantID, channel string) ([]Provider, error) {
	return s.queryProviders(ctx, `SELECT `+providerColumns+` FROM providers WHERE tenant_id = $1 AND channel = $2 AND active = 1 ORDER BY priority, created_at, id`, tenantID, channel)
}

func (s *Store) queryProviders(ctx context.Context, query string, args ...any) ([]Provider, error) {
	rows, err := s.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: providers: %w", err)
	}
	defer rows.Close()
	var out []Provider
	for rows.Next() {
		p, err := scanProvider(rows)
		if err != nil {
			return nil, fmt.Errorf("store: providers: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// UpdateProvider saves a provider's mutable fields (name, priority, active,
// sealed config) and its UpdatedAt, which tells caches to rebuild it.
func (s *Store) UpdateProvider(ctx context.Context, p Provider) error {
	res, err := s.Write.ExecContext(ctx, `UPDATE providers SET name = $3, priority = $4, active = $5, config_sealed = $6, updated_at = $7 WHERE tenant_id = $1 AND id = $2`,
		p.TenantID, p.ID, p.Name, p.Priority, boolInt(p.Active), p.ConfigSealed, Micros(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: update provider: %w", err)
	}
	return expectOne(res)
}

// DeleteProvider removes a tenant's provider. Deliveries keep the name of
// the provider that handled them.
func (s *Store) DeleteProvider(ctx context.Context, tenantID, id string) error {
	res, err := s.Write.ExecContext(ctx, `DELETE FROM providers WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return fmt.Errorf("store: delete provider: %w", err)
	}
	return expectOne(res)
}
