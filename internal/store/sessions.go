package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AdminSession is a signed-in admin UI session.
type AdminSession struct {
	// IDHash is the hex SHA-256 of the session cookie's value.
	IDHash string
	// CSRFToken must accompany every form the session posts.
	CSRFToken string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateAdminSession stores a new session and drops expired ones, so the
// table stays as small as the number of people signed in.
func (s *Store) CreateAdminSession(ctx context.Context, a AdminSession) error {
	if _, err := s.Write.ExecContext(ctx, `DELETE FROM admin_sessions WHERE expires_at < $1`, Micros(a.CreatedAt)); err != nil {
		return fmt.Errorf("store: admin session: %w", err)
	}
	if _, err := s.Write.ExecContext(ctx, `INSERT INTO admin_sessions (id_hash, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
		a.IDHash, a.CSRFToken, Micros(a.CreatedAt), Micros(a.ExpiresAt)); err != nil {
		return fmt.Errorf("store: admin session: %w", err)
	}
	return nil
}

// AdminSession returns the session with idHash unless it expired before now.
func (s *Store) AdminSession(ctx context.Context, idHash string, now time.Time) (AdminSession, error) {
	var a AdminSession
	var created, expires int64
	err := s.Read.QueryRowContext(ctx, `SELECT id_hash, csrf_token, created_at, expires_at FROM admin_sessions WHERE id_hash = $1 AND expires_at > $2`, idHash, Micros(now)).
		Scan(&a.IDHash, &a.CSRFToken, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return AdminSession{}, ErrNotFound
	}
	if err != nil {
		return AdminSession{}, fmt.Errorf("store: admin session: %w", err)
	}
	a.CreatedAt, a.ExpiresAt = FromMicros(created), FromMicros(expires)
	return a, nil
}

// DeleteAdminSession signs one session out.
func (s *Store) DeleteAdminSession(ctx context.Context, idHash string) error {
	if _, err := s.Write.ExecContext(ctx, `DELETE FROM admin_sessions WHERE id_hash = $1`, idHash); err != nil {
		return fmt.Errorf("store: admin session: %w", err)
	}
	return nil
}

// DeleteAdminSessions signs everyone out (after the admin token changes).
func (s *Store) DeleteAdminSessions(ctx context.Context) error {
	if _, err := s.Write.ExecContext(ctx, `DELETE FROM admin_sessions`); err != nil {
		return fmt.Errorf("store: admin sessions: %w", err)
	}
	return nil
}
