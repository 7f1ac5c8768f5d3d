-- fleetvault schema 0002: identity and access (issue 3).
-- Single-use assertion ids (RFC 7523 §3 "jti"): the primary key makes a replay fail on every
-- replica and after a restart. A row is kept until its assertion could no longer pass the
-- iat check (expires_at = iat + max skew), then pruned.
CREATE TABLE assertion_jtis (
  client_id   TEXT NOT NULL,
  jti         TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX assertion_jtis_expiry ON assertion_jtis (expires_at);

-- Listing a fleet's live clients.
CREATE INDEX api_clients_fleet_live ON api_clients (fleet_id, deleted_at, id);
