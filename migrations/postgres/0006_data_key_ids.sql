-- fleetvault schema 0006 for PostgreSQL: same meaning as migrations/sqlite/0006_data_key_ids.sql.

ALTER TABLE fleet_data_keys ADD COLUMN id TEXT COLLATE "C";
UPDATE fleet_data_keys SET id = fleet_id;
ALTER TABLE fleet_data_keys ALTER COLUMN id SET NOT NULL;
ALTER TABLE fleet_data_keys DROP CONSTRAINT fleet_data_keys_pkey;
ALTER TABLE fleet_data_keys ADD PRIMARY KEY (id);
CREATE INDEX fleet_data_keys_fleet ON fleet_data_keys (fleet_id, created_at, id);

ALTER TABLE credentials ADD COLUMN data_key_id TEXT COLLATE "C" REFERENCES fleet_data_keys(id) ON DELETE SET NULL;
UPDATE credentials SET data_key_id = fleet_id;
CREATE INDEX credentials_data_key ON credentials (data_key_id, id);

ALTER TABLE credential_secret_versions ADD COLUMN data_key_id TEXT COLLATE "C" REFERENCES fleet_data_keys(id) ON DELETE SET NULL;
UPDATE credential_secret_versions SET data_key_id = fleet_id;
CREATE INDEX credential_secret_versions_data_key ON credential_secret_versions (data_key_id, credential_id, secret_version);
