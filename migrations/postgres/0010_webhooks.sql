-- fleetvault schema 0010 for PostgreSQL: same tables and meaning as migrations/sqlite/0010_webhooks.sql.

-- A fleet's subscriptions. `events` is a JSON array of audit actions, or ["*"].
CREATE TABLE webhooks (
  id               TEXT COLLATE "C" PRIMARY KEY,
  fleet_id         TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  url              TEXT NOT NULL,
  events           TEXT NOT NULL,
  description      TEXT,
  enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  disabled_reason  TEXT,
  -- Since when every attempt has failed (NULL after a success); 5 days of it disables the endpoint.
  failing_since    TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX webhooks_fleet ON webhooks (fleet_id, enabled, id);

-- Signing secrets, sealed under the fleet's data key like credential secrets (never stored in clear).
-- After a rotation the previous version signs too until `expires_at` (24 h overlap); NULL: current.
CREATE TABLE webhook_secrets (
  webhook_id     TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  fleet_id       TEXT COLLATE "C" NOT NULL,
  version        INTEGER NOT NULL CHECK (version >= 1),
  sealed_secret  BYTEA NOT NULL,
  data_key_id    TEXT COLLATE "C" REFERENCES fleet_data_keys(id) ON DELETE SET NULL,
  created_at     TEXT NOT NULL,
  expires_at     TEXT,
  PRIMARY KEY (webhook_id, version)
);

-- The outbox: one row per (subscription, audit event), inserted in the audit event's own transaction.
-- The body is not stored: it is built from the audit event (event_id) at each attempt.
CREATE TABLE webhook_deliveries (
  id               TEXT COLLATE "C" PRIMARY KEY,
  fleet_id         TEXT COLLATE "C" NOT NULL,
  webhook_id       TEXT COLLATE "C" NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id         TEXT COLLATE "C" NOT NULL,
  type             TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  TEXT COLLATE "C" NOT NULL,
  last_status      INTEGER,
  last_error       TEXT,
  delivered_at     TEXT,
  created_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX webhook_deliveries_event ON webhook_deliveries (webhook_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_list ON webhook_deliveries (webhook_id, id);
