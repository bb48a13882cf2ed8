-- Delivery providers per tenant and channel (issue 3). Same portable SQL as
-- 001: BIGINT Unix microseconds, SMALLINT 0/1 booleans.

-- config_sealed is the provider's JSON config sealed with AES-256-GCM
-- (package secret) under ORQESTRA_SECRET_KEY, bound to (tenant_id, id): the
-- database alone never holds a usable credential.
CREATE TABLE providers (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants(id),
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    priority      INTEGER NOT NULL DEFAULT 1,
    active        SMALLINT NOT NULL DEFAULT 1,
    config_sealed TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- The delivery worker's lookup: a tenant's active providers for a channel
-- in priority order.
CREATE INDEX providers_route ON providers (tenant_id, channel, active, priority);

-- Providers that failed a delivery permanently (comma-separated provider
-- ids): later attempts of that delivery skip them instead of repeating a
-- rejection that will not change, and go straight to the fallbacks.
ALTER TABLE deliveries ADD COLUMN skip_providers TEXT NOT NULL DEFAULT '';
