/**
 * Recognises constraint violations across engines, by the constraint's name (PostgreSQL)
 * or the columns SQLite names in its message. Repositories ask by index name.
 */
const sqliteColumnsByIndex: Record<string, string> = {
  credentials_fleet_name_key: 'credentials.fleet_id, credentials.name_key',
  vehicles_fleet_brand_unit: 'vehicles.fleet_id, vehicles.telematics_brand, vehicles.telematics_unit_id',
};

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

export function isUniqueViolation(error: unknown, indexName: string): boolean {
  const e = error as DriverError;
  if (e?.code === '23505') return e.constraint === indexName;
  if (e?.code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof e.message === 'string') {
    const columns = sqliteColumnsByIndex[indexName];
    return columns !== undefined && e.message.endsWith(columns);
  }
  return false;
}

export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as DriverError;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
