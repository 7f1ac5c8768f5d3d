-- fleetvault schema 0013: how many vehicles reference each credential, kept by the same transactions that add, move
-- and delete vehicles (src/vehicles/vehicles.repo.ts), so reading a credential counts no rows (docs/design.md §2.1).
ALTER TABLE credentials ADD COLUMN vehicle_count integer NOT NULL DEFAULT 0;
UPDATE credentials SET vehicle_count = (SELECT count(*) FROM vehicles WHERE vehicles.credentials_id = credentials.id);
