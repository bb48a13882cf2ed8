-- Orqestra schema, version 1. Portable SQL: it runs unchanged on SQLite and
-- PostgreSQL. Timestamps are Unix microseconds (UTC) in BIGINT columns, and
-- booleans are SMALLINT 0/1, so the same queries work on both databases.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE tenants (
    id             TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    active         SMALLINT NOT NULL DEFAULT 1,
    webhook_secret TEXT NOT NULL DEFAULT '',
    rate_limit     INTEGER NOT NULL DEFAULT 100,
    cors_origins   TEXT NOT NULL DEFAULT '',
    created_at     BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id),
    name         TEXT NOT NULL DEFAULT '',
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

CREATE TABLE templates (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    event_type TEXT NOT NULL,
    channel    TEXT NOT NULL,
    version    INTEGER NOT NULL,
    category   TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    subject    TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL,
    html       TEXT NOT NULL DEFAULT '',
    active     SMALLINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    UNIQUE (tenant_id, event_type, channel, version)
);
CREATE UNIQUE INDEX templates_one_active ON templates (tenant_id, event_type, channel) WHERE active = 1;

CREATE TABLE events (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id),
    id         TEXT NOT NULL,
    event_type TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    payload    TEXT NOT NULL,
    variables  TEXT NOT NULL,
    channels   TEXT NOT NULL,
    trace_id   TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX events_created ON events (tenant_id, created_at);

CREATE TABLE notifications (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    event_id   TEXT NOT NULL,
    event_type TEXT NOT NULL,
    category   TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    body       TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'UNREAD',
    created_at BIGINT NOT NULL,
    read_at    BIGINT
);
-- History pages walk this index newest first; ids are time-ordered (UUIDv7).
CREATE INDEX notifications_inbox ON notifications (tenant_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (tenant_id, user_id, status);

CREATE TABLE deliveries (
    id                  TEXT PRIMARY KEY,
    tenant_id           TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    channel             TEXT NOT NULL,
    recipient           TEXT NOT NULL,
    subject             TEXT NOT NULL DEFAULT '',
    body                TEXT NOT NULL DEFAULT '',
    html                TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    provider            TEXT NOT NULL DEFAULT '',
    provider_message_id TEXT NOT NULL DEFAULT '',
    last_error          TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    sent_at             BIGINT
);
CREATE INDEX deliveries_event ON deliveries (tenant_id, event_id);

CREATE TABLE outbox_messages (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL UNIQUE,
    tenant_id   TEXT NOT NULL,
    channel     TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL DEFAULT '',
    html        TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL
);
CREATE INDEX outbox_tenant ON outbox_messages (tenant_id, created_at);

CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL,
    idem_key     TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    response     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, idem_key)
);
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
