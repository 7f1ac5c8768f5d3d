-- fleetvault schema 0002 for PostgreSQL: same tables, numbering and meaning as migrations/sqlite/0002_identity.sql.
CREATE TABLE assertion_jtis (
  client_id   TEXT COLLATE "C" NOT NULL,
  jti         TEXT COLLATE "C" NOT NULL,
  expires_at  TEXT COLLATE "C" NOT NULL,
  CONSTRAINT assertion_jtis_pkey PRIMARY KEY (client_id, jti)
);
CREATE INDEX assertion_jtis_expiry ON assertion_jtis (expires_at);

CREATE INDEX api_clients_fleet_live ON api_clients (fleet_id, deleted_at, id);
