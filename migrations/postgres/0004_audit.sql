-- fleetvault schema 0004 for PostgreSQL: same tables and meaning as migrations/sqlite/0004_audit.sql.

CREATE TABLE audit_events (
  id            TEXT COLLATE "C" PRIMARY KEY,
  chain         TEXT COLLATE "C" NOT NULL,
  fleet_id      TEXT COLLATE "C",
  seq           INTEGER NOT NULL CHECK (seq >= 1),
  at            TEXT COLLATE "C" NOT NULL,
  actor_type    TEXT NOT NULL,
  actor_id      TEXT COLLATE "C" NOT NULL,
  action        TEXT COLLATE "C" NOT NULL,
  target_type   TEXT NOT NULL,
  target_id     TEXT COLLATE "C" NOT NULL,
  target_brand  TEXT,
  request_id    TEXT,
  outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  details       TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_chain_seq ON audit_events (chain, seq);
CREATE INDEX audit_events_target ON audit_events (chain, target_id, seq);
CREATE INDEX audit_events_action ON audit_events (chain, action, seq);

-- Writers upsert this row to take the next seq: the row lock serialises one chain's writers
-- across replicas until their transaction ends, so a chain never forks.
CREATE TABLE audit_heads (
  chain  TEXT COLLATE "C" PRIMARY KEY,
  seq    INTEGER NOT NULL,
  hash   TEXT NOT NULL,
  at     TEXT
);

CREATE TABLE credential_secret_versions (
  credential_id   TEXT COLLATE "C" NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  fleet_id        TEXT COLLATE "C" NOT NULL,
  secret_version  INTEGER NOT NULL,
  sealed_secrets  BYTEA NOT NULL,
  created_at      TEXT NOT NULL,
  created_by      TEXT,
  PRIMARY KEY (credential_id, secret_version)
);
CREATE INDEX credential_secret_versions_fleet ON credential_secret_versions (fleet_id, credential_id);

ALTER TABLE credentials ADD COLUMN secret_created_by TEXT;

ALTER TABLE vault_keys DROP CONSTRAINT vault_keys_purpose_check;
ALTER TABLE vault_keys ADD CONSTRAINT vault_keys_purpose_check CHECK (purpose IN ('token-signing', 'client-secret-hash', 'audit-hmac'));
