package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Template is one version of a tenant's template for an event type on a
// channel. Each save creates a new version; at most one version is active.
type Template struct {
	ID        string
	TenantID  string
	EventType string
	Channel   string
	Version   int
	Category  string
	Title     string // PUSH
	Subject   string // EMAIL
	Body      string
	HTML      string // EMAIL, optional
	Active    bool
	CreatedAt time.Time
}

const templateColumns = `id, tenant_id, event_type, channel, version, category, title, subject, body, html, active, created_at`

func scanTemplate(row interface{ Scan(...any) error }) (Template, error) {
	var t Template
	var active int
	var created int64
	if err := row.Scan(&t.ID, &t.TenantID, &t.EventType, &t.Channel, &t.Version, &t.Category, &t.Title, &t.Subject, &t.Body, &t.HTML, &active, &created); err != nil {
		return Template{}, err
	}
	t.Active = active == 1
	t.CreatedAt = FromMicros(created)
	return t, nil
}

// SaveTemplate stores t as the next version for its tenant, event type and
// channel, and makes it the active one when t.Active is set. It returns the
// stored template with its version.
func (s *Store) SaveTemplate(ctx context.Context, t Template) (Template, error) {
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return Template{}, fmt.Errorf("store: save template: %w", err)
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM templates WHERE tenant_id = $1 AND event_type = $2 AND channel = $3`,
		t.TenantID, t.EventType, t.Channel).Scan(&t.Version); err != nil {
		return Template{}, fmt.Errorf("store: save template: %w", err)
	}
	if t.Active {
		if _, err := tx.ExecContext(ctx, `UPDATE templates SET active = 0 WHERE tenant_id = $1 AND event_type = $2 AND channel = $3 AND active = 1`,
			t.TenantID, t.EventType, t.Channel); err != nil {
			return Template{}, fmt.Errorf("store: save template: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO templates (`+templateColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		t.ID, t.TenantID, t.EventType, t.Channel, t.Version, t.Category, t.Title, t.Subject, t.Body, t.HTML, boolInt(t.Active), Micros(t.CreatedAt)); err != nil {
		return Template{}, fmt.Errorf("store: save template: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Template{}, fmt.Errorf("store: save template: %w", err)
	}
	return t, nil
}

// SetTemplateActive activates one version (deactivating the others of its
// event type and channel) or deactivates it.
func (s *Store) SetTemplateActive(ctx context.Context, tenantID, id string, active bool) error {
	tx, err := s.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: activate template: %w", err)
	}
	defer tx.Rollback()
	t, err := scanTemplate(tx.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: activate template: %w", err)
	}
	if active {
		if _, err := tx.ExecContext(ctx, `UPDATE templates SET active = 0 WHERE tenant_id = $1 AND event_type = $2 AND channel = $3 AND active = 1`,
			tenantID, t.EventType, t.Channel); err != nil {
			return fmt.Errorf("store: activate template: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE templates SET active = $3 WHERE tenant_id = $1 AND id = $2`, tenantID, id, boolInt(active)); err != nil {
		return fmt.Errorf("store: activate template: %w", err)
	}
	return tx.Commit()
}

// ActiveTemplates returns every active template of a tenant.
func (s *Store) ActiveTemplates(ctx context.Context, tenantID string) ([]Template, error) {
	return s.queryTemplates(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 AND active = 1`, tenantID)
}

// Templates returns every version of a tenant's templates, newest first per
// event type and channel.
func (s *Store) Templates(ctx context.Context, tenantID string) ([]Template, error) {
	return s.queryTemplates(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 ORDER BY event_type, channel, version DESC`, tenantID)
}

func (s *Store) queryTemplates(ctx context.Context, query string, args ...any) ([]Template, error) {
	rows, err := s.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: templates: %w", err)
	}
	defer rows.Close()
	var out []Template
	for rows.Next() {
		t, err := scanTemplate(rows)
		if err != nil {
			return nil, fmt.Errorf("store: templates: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Template returns one template version of a tenant.
func (s *Store) Template(ctx context.Context, tenantID, id string) (Template, error) {
	t, err := scanTemplate(s.Read.QueryRowContext(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Template{}, ErrNotFound
	}
	if err != nil {
		return Template{}, fmt.Errorf("store: template: %w", err)
	}
	return t, nil
}

// TemplateVersions returns every version of a tenant's template for one event
// type and channel, newest first.
func (s *Store) TemplateVersions(ctx context.Context, tenantID, eventType, channel string) ([]Template, error) {
	return s.queryTemplates(ctx, `SELECT `+templateColumns+` FROM templates WHERE tenant_id = $1 AND event_type = $2 AND channel = $3 ORDER BY version DESC`,
		tenantID, eventType, channel)
}
