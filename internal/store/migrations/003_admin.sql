-- Admin UI: signed-in sessions and the indexes its activity filters use.
-- Portable SQL (SQLite and PostgreSQL).

-- A session is found by the SHA-256 of its cookie value, so a copy of the
-- database does not hand out live sessions.
CREATE TABLE admin_sessions (
    id_hash    TEXT PRIMARY KEY,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);

-- Activity filters by event type or user, newest first.
CREATE INDEX events_type_created ON events (tenant_id, event_type, created_at);
CREATE INDEX events_user_created ON events (tenant_id, user_id, created_at);
