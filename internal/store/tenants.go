package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Tenant is one customer of the engine: an application sending notifications.
type Tenant struct {
	ID     string
	Name   string
	Active bool
	// WebhookSecret, when set, makes X-Orqestra-Signature mandatory on triggers.
	WebhookSecret string
	// RateLimit is triggers per minute; 0 means unlimited.
	RateLimit int
	// CORSOrigins are browser origins allowed for this tenant, beyond the
	// engine-wide list.
	CORSOrigins []string
	CreatedAt   time.Time
}

const tenantColumns = `id, name, active, webhook_secret, rate_limit, cors_origins, created_at`

func scanTenant(row interface{ Scan(...any) error }) (Tenant, error) {
	var t Tenant
	var active int
	var origins string
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &active, &t.WebhookSecret, &t.RateLimit, &origins, &created); err != nil {
		return Tenant{}, err
	}
	t.Active = active == 1
	t.CORSOrigins = splitList(origins)
	t.CreatedAt = FromMicros(created)
	return t, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// CreateTenant stores a new tenant.
func (s *Store) CreateTenant(ctx context.Context, t Tenant) error {
	_, err := s.Write.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, boolInt(t.Active), t.WebhookSecret, t.RateLimit, strings.Join(t.CORSOrigins, ","), Micros(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create tenant: %w", err)
	}
	return nil
}

// Tenant returns one tenant by id.
func (s *Store) Tenant(ctx context.Context, id string) (Tenant, error) {
	t, err := scanTenant(s.Read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, ErrNotFound
	}
	if err != nil {
		return Tenant{}, fmt.Errorf("store: tenant: %w", err)
	}
	return t, nil
}

// Tenants lists every tenant, oldest first.
func (s *Store) Tenants(ctx context.Context) ([]Tenant, error) {
	rows, err := s.Read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("store: tenants: %w", err)
	}
	defer rows.Close()
	var out []Tenant
	for rows.Next() {
		t, err := scanTenant(rows)
		if err != nil {
			return nil, fmt.Errorf("store: tenants: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// UpdateTenant saves a tenant's mutable fields (name, active, webhook secret,
// rate limit, CORS origins).
func (s *Store) UpdateTenant(ctx context.Context, t Tenant) error {
	res, err := s.Write.ExecContext(ctx, `UPDATE tenants SET name = $2, active = $3, webhook_secret = $4, rate_limit = $5, cors_origins = $6 WHERE id = $1`,
		t.ID, t.Name, boolInt(t.Active), t.WebhookSecret, t.RateLimit, strings.Join(t.CORSOrigins, ","))
	if err != nil {
		return fmt.Errorf("store: update tenant: %w", err)
	}
	return expectOne(res)
}

func expectOne(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// APIKey is a tenant's API key. Only the SHA-256 hash of the key is stored.
type APIKey struct {
	ID         string
	TenantID   string
	Name       string
	Hash       string
	Prefix     string // the first characters, to recognise a key in lists
	CreatedAt  time.Time
	RevokedAt  *time.Time
	LastUsedAt *time.Time
}

// CreateAPIKey stores a key's hash.
func (s *Store) CreateAPIKey(ctx context.Context, k APIKey) error {
	_, err := s.Write.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.TenantID, k.Name, k.Hash, k.Prefix, Micros(k.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	return nil
}

// CreateTenantWithKey stores a tenant and its first key in one transaction.
func (s *Store) CreateTenantWithKey(ctx context.Context, t Tenant, k APIKey) error {
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create tenant: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, boolInt(t.Active), t.WebhookSecret, t.RateLimit, strings.Join(t.CORSOrigins, ","), Micros(t.CreatedAt)); err != nil {
		return fmt.Errorf("store: create tenant: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, tenant_id, name, hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.TenantID, k.Name, k.Hash, k.Prefix, Micros(k.CreatedAt)); err != nil {
		return fmt.Errorf("store: create api key: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create tenant: %w", err)
	}
	return nil
}

// TenantByKeyHash finds the tenant that owns a live (unrevoked) key.
func (s *Store) TenantByKeyHash(ctx context.Context, hash string) (Tenant, APIKey, error) {
	row := s.Read.QueryRowContext(ctx, `SELECT k.id, k.tenant_id, k.prefix, t.id, t.name, t.active, t.webhook_secret, t.rate_limit, t.cors_origins, t.created_at
		FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash)
	var k APIKey
	var t Tenant
	var active int
	var origins string
	var created int64
	err := row.Scan(&k.ID, &k.TenantID, &k.Prefix, &t.ID, &t.Name, &active, &t.WebhookSecret, &t.RateLimit, &origins, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Tenant{}, APIKey{}, ErrNotFound
	}
	if err != nil {
		return Tenant{}, APIKey{}, fmt.Errorf("store: key lookup: %w", err)
	}
	t.Active = active == 1
	t.CORSOrigins = splitList(origins)
	t.CreatedAt = FromMicros(created)
	return t, k, nil
}

// TouchAPIKey records that a key was used.
func (s *Store) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.Write.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, Micros(at))
	return err
}

// APIKeys lists a tenant's keys, revoked ones included.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]APIKey, error) {
	rows, err := s.Read.QueryContext(ctx, `SELECT id, tenant_id, name, prefix, created_at, revoked_at, last_used_at FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, fmt.Errorf("store: api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var created int64
		var revoked, used sql.NullInt64
		if err := rows.Scan(&k.ID, &k.TenantID, &k.Name, &k.Prefix, &created, &revoked, &used); err != nil {
			return nil, fmt.Errorf("store: api keys: %w", err)
		}
		k.CreatedAt = FromMicros(created)
		if revoked.Valid {
			t := FromMicros(revoked.Int64)
			k.RevokedAt = &t
		}
		if used.Valid {
			t := FromMicros(used.Int64)
			k.LastUsedAt = &t
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes a tenant's key; revoking twice is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, tenantID, keyID string, at time.Time) error {
	res, err := s.Write.ExecContext(ctx, `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE id = $1 AND tenant_id = $2`, keyID, tenantID, Micros(at))
	if err != nil {
		return fmt.Errorf("store: revoke api key: %w", err)
	}
	return expectOne(res)
}
