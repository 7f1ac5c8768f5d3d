-- fleetvault schema 0001 for PostgreSQL: same tables, numbering and meaning as migrations/sqlite/0001_init.sql.
-- Ids and sort keys use COLLATE "C" so they order byte-wise, exactly as SQLite orders them.

CREATE TABLE fleets (
  id          TEXT COLLATE "C" PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE fleet_data_keys (
  fleet_id     TEXT COLLATE "C" PRIMARY KEY REFERENCES fleets(id) ON DELETE CASCADE,
  kek_id       TEXT NOT NULL,
  wrapped_key  BYTEA NOT NULL,
  created_at   TEXT NOT NULL
);

CREATE TABLE vault_keys (
  id           TEXT COLLATE "C" PRIMARY KEY,
  purpose      TEXT NOT NULL CHECK (purpose IN ('token-signing', 'client-secret-hash')),
  kek_id       TEXT NOT NULL,
  sealed_key   BYTEA NOT NULL,
  public_jwk   TEXT,
  created_at   TEXT COLLATE "C" NOT NULL,
  retired_at   TEXT
);
CREATE INDEX vault_keys_purpose ON vault_keys (purpose, created_at);

CREATE TABLE api_clients (
  id           TEXT COLLATE "C" PRIMARY KEY,
  fleet_id     TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  name         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('secret', 'key')),
  secret_hash  BYTEA,
  public_jwk   TEXT,
  scopes       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  deleted_at   TEXT
);
CREATE INDEX api_clients_fleet ON api_clients (fleet_id, id);

CREATE TABLE credentials (
  id                 TEXT COLLATE "C" PRIMARY KEY,
  fleet_id           TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  brand              TEXT COLLATE "C" NOT NULL,
  name               TEXT,
  name_key           TEXT COLLATE "C" NOT NULL,
  name_missing       INTEGER NOT NULL CHECK (name_missing IN (0, 1)),
  fields             TEXT NOT NULL,
  sealed_secrets     BYTEA NOT NULL,
  secret_version     INTEGER NOT NULL CHECK (secret_version >= 1),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  secret_updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX credentials_fleet_name_key ON credentials (fleet_id, name_key) WHERE name_missing = 0;
CREATE UNIQUE INDEX credentials_fleet_brand_id ON credentials (fleet_id, brand, id);
CREATE INDEX credentials_list ON credentials (fleet_id, name_missing, name_key, id);
CREATE INDEX credentials_brand_list ON credentials (fleet_id, brand, name_missing, name_key, id);

CREATE TABLE vehicles (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  fleet_id            TEXT COLLATE "C" NOT NULL REFERENCES fleets(id),
  telematics_brand    TEXT COLLATE "C" NOT NULL,
  telematics_unit_id  TEXT NOT NULL,
  credentials_id      TEXT COLLATE "C" NOT NULL,
  vin                 TEXT,
  name                TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  CONSTRAINT vehicles_credential_ref FOREIGN KEY (fleet_id, telematics_brand, credentials_id)
    REFERENCES credentials (fleet_id, brand, id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX vehicles_fleet_brand_unit ON vehicles (fleet_id, telematics_brand, telematics_unit_id);
CREATE INDEX vehicles_credentials ON vehicles (credentials_id, id);
CREATE INDEX vehicles_list ON vehicles (fleet_id, id);
