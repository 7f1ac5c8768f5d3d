-- fleetvault schema 0006: data-key re-encryption (DESIGN.md §3). A fleet may hold several data keys
-- while a rotation runs; every sealed row names the key it is sealed under.

-- Data keys get ids of their own. The key each fleet has so far takes the fleet's id.
-- SQLite cannot change a primary key: rebuild the table.
CREATE TABLE fleet_data_keys_0006 (
  id           TEXT PRIMARY KEY,
  fleet_id     TEXT NOT NULL REFERENCES fleets(id) ON DELETE CASCADE,
  kek_id       TEXT NOT NULL,
  wrapped_key  BLOB NOT NULL,
  created_at   TEXT NOT NULL
);
INSERT INTO fleet_data_keys_0006 (id, fleet_id, kek_id, wrapped_key, created_at)
  SELECT fleet_id, fleet_id, kek_id, wrapped_key, created_at FROM fleet_data_keys;
DROP TABLE fleet_data_keys;
ALTER TABLE fleet_data_keys_0006 RENAME TO fleet_data_keys;
-- The fleet's newest key is the one new secrets are sealed under.
CREATE INDEX fleet_data_keys_fleet ON fleet_data_keys (fleet_id, created_at, id);

-- The key a row is sealed under. The reference makes a write under a destroyed key fail instead of
-- storing what nothing can open; destroying a key (a purge) leaves its rows naming none.
ALTER TABLE credentials ADD COLUMN data_key_id TEXT REFERENCES fleet_data_keys(id) ON DELETE SET NULL;
UPDATE credentials SET data_key_id = fleet_id;
CREATE INDEX credentials_data_key ON credentials (data_key_id, id);

ALTER TABLE credential_secret_versions ADD COLUMN data_key_id TEXT REFERENCES fleet_data_keys(id) ON DELETE SET NULL;
UPDATE credential_secret_versions SET data_key_id = fleet_id;
CREATE INDEX credential_secret_versions_data_key ON credential_secret_versions (data_key_id, credential_id, secret_version);
