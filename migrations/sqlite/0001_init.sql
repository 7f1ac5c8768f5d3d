-- fleetvault schema 0001: fleets, vault keys, API clients, credentials, vehicles.
-- Times are ISO-8601 UTC text; ids are ULIDs. Never edit once landed: add a new file.

CREATE TABLE fleets (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

-- A fleet's data key (DEK), only ever stored wrapped by a master key (KEK).
CREATE TABLE fleet_data_keys (
  fleet_id     TEXT PRIMARY KEY REFERENCES fleets(id) ON DELETE CASCADE,
  kek_id       TEXT NOT NULL,
  wrapped_key  BLOB NOT NULL,
  created_at   TEXT NOT NULL
);

-- Vault-wide secrets (the access-token signing key, the client-secret hashing key),
-- sealed by a master key so every replica sharing the database shares them.
CREATE TABLE vault_keys (
  id           TEXT PRIMARY KEY,
  purpose      TEXT NOT NULL CHECK (purpose IN ('token-signing', 'client-secret-hash')),
  kek_id       TEXT NOT NULL,
  sealed_key   BLOB NOT NULL,
  public_jwk   TEXT,
  created_at   TEXT NOT NULL,
  retired_at   TEXT
);
CREATE INDEX vault_keys_purpose ON vault_keys (purpose, created_at);

CREATE TABLE api_clients (
  id           TEXT PRIMARY KEY,
  fleet_id     TEXT NOT NULL REFERENCES fleets(id),
  name         TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('secret', 'key')),
  secret_hash  BLOB,
  public_jwk   TEXT,
  scopes       TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  deleted_at   TEXT
);
CREATE INDEX api_clients_fleet ON api_clients (fleet_id, id);

CREATE TABLE credentials (
  id                 TEXT PRIMARY KEY,
  fleet_id           TEXT NOT NULL REFERENCES fleets(id),
  brand              TEXT NOT NULL,
  name               TEXT,
  -- Sort and uniqueness key: lower-cased NFC name, '' when unnamed (name_missing = 1).
  name_key           TEXT NOT NULL,
  name_missing       INTEGER NOT NULL CHECK (name_missing IN (0, 1)),
  -- Identity and setting fields as a JSON object; never a secret.
  fields             TEXT NOT NULL,
  -- XChaCha20-Poly1305 nonce || ciphertext of the secret fields, under the fleet's DEK.
  sealed_secrets     BLOB NOT NULL,
  secret_version     INTEGER NOT NULL CHECK (secret_version >= 1),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  secret_updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX credentials_fleet_name_key ON credentials (fleet_id, name_key) WHERE name_missing = 0;
-- Target of the vehicles' composite reference: a vehicle can only point at a credential of its own fleet and brand.
CREATE UNIQUE INDEX credentials_fleet_brand_id ON credentials (fleet_id, brand, id);
CREATE INDEX credentials_list ON credentials (fleet_id, name_missing, name_key, id);
CREATE INDEX credentials_brand_list ON credentials (fleet_id, brand, name_missing, name_key, id);

CREATE TABLE vehicles (
  id                  TEXT PRIMARY KEY,
  fleet_id            TEXT NOT NULL REFERENCES fleets(id),
  telematics_brand    TEXT NOT NULL,
  telematics_unit_id  TEXT NOT NULL,
  credentials_id      TEXT NOT NULL,
  vin                 TEXT,
  name                TEXT,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL,
  -- RESTRICT: the database itself refuses to delete a credential that a vehicle references.
  FOREIGN KEY (fleet_id, telematics_brand, credentials_id)
    REFERENCES credentials (fleet_id, brand, id) ON DELETE RESTRICT
);
CREATE UNIQUE INDEX vehicles_fleet_brand_unit ON vehicles (fleet_id, telematics_brand, telematics_unit_id);
CREATE INDEX vehicles_credentials ON vehicles (credentials_id, id);
CREATE INDEX vehicles_list ON vehicles (fleet_id, id);
