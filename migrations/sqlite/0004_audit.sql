-- fleetvault schema 0004: the audit trail (DESIGN.md §2.6) and kept secret versions (§2.8).

-- One hash chain per fleet (chain = the fleet id) plus the system chain (chain = 'system').
-- seq counts 1, 2, 3, … per chain without gaps: it is taken from audit_heads in the same
-- transaction as the change the event records, so a rolled-back change leaves no hole.
CREATE TABLE audit_events (
  id            TEXT PRIMARY KEY,
  chain         TEXT NOT NULL,
  fleet_id      TEXT,
  seq           INTEGER NOT NULL CHECK (seq >= 1),
  at            TEXT NOT NULL,
  actor_type    TEXT NOT NULL,
  actor_id      TEXT NOT NULL,
  action        TEXT NOT NULL,
  target_type   TEXT NOT NULL,
  target_id     TEXT NOT NULL,
  target_brand  TEXT,
  request_id    TEXT,
  outcome       TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
  -- Small JSON object documented per action; never a secret, ciphertext or token.
  details       TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL
);
CREATE UNIQUE INDEX audit_events_chain_seq ON audit_events (chain, seq);
CREATE INDEX audit_events_target ON audit_events (chain, target_id, seq);
CREATE INDEX audit_events_action ON audit_events (chain, action, seq);

-- The last event of each chain: the row writers lock (upsert) to take the next seq, and what
-- `audit verify` checks the chain's tail against (a deleted tail leaves the head behind).
CREATE TABLE audit_heads (
  chain  TEXT PRIMARY KEY,
  seq    INTEGER NOT NULL,
  hash   TEXT NOT NULL,
  at     TEXT
);

-- Earlier sealed secrets of a credential (the current ones stay in credentials.sealed_secrets),
-- each sealed with its own version in the associated data. Deleted with their credential.
CREATE TABLE credential_secret_versions (
  credential_id   TEXT NOT NULL REFERENCES credentials(id) ON DELETE CASCADE,
  fleet_id        TEXT NOT NULL,
  secret_version  INTEGER NOT NULL,
  sealed_secrets  BLOB NOT NULL,
  created_at      TEXT NOT NULL,
  created_by      TEXT,
  PRIMARY KEY (credential_id, secret_version)
);
CREATE INDEX credential_secret_versions_fleet ON credential_secret_versions (fleet_id, credential_id);

-- Who made the current secret version ('{"type":"client","id":"…"}'); null on rows created before 0004.
ALTER TABLE credentials ADD COLUMN secret_created_by TEXT;

-- The audit key joins the vault keys. SQLite cannot alter a CHECK: rebuild the table.
CREATE TABLE vault_keys_0004 (
  id           TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL CHECK (purpose IN ('token-signing', 'client-secret-hash', 'audit-hmac')),
  kek_id       TEXT NOT NULL,
  sealed_key   BLOB NOT NULL,
  public_jwk   TEXT,
  created_at   TEXT NOT NULL,
  retired_at   TEXT
);
INSERT INTO vault_keys_0004 (id, purpose, kek_id, sealed_key, public_jwk, created_at, retired_at)
  SELECT id, purpose, kek_id, sealed_key, public_jwk, created_at, retired_at FROM vault_keys;
DROP TABLE vault_keys;
ALTER TABLE vault_keys_0004 RENAME TO vault_keys;
CREATE INDEX vault_keys_purpose ON vault_keys (purpose, created_at);
