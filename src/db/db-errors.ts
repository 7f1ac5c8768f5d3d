import { DurabilityLostError, SharedCommitFailedError } from './commit-errors.js';

/**
 * Recognises constraint violations across engines, by the constraint's name (PostgreSQL)
 * or the columns SQLite names in its message. Repositories ask by index name.
 */
const sqliteColumnsByIndex: Record<string, string> = {
  credentials_fleet_name_key: 'credentials.fleet_id, credentials.name_key',
  vehicles_fleet_brand_unit: 'vehicles.fleet_id, vehicles.telematics_brand, vehicles.telematics_unit_id',
  assertion_jtis_pkey: 'assertion_jtis.client_id, assertion_jtis.jti',
  idempotency_keys_pkey: 'idempotency_keys.fleet_id, idempotency_keys.idempotency_key',
};

interface DriverError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

export function isUniqueViolation(error: unknown, indexName: string): boolean {
  const e = error as DriverError;
  if (e?.code === '23505') return e.constraint === indexName;
  // A composite primary key violation has its own code in SQLite; its message names the columns alike.
  if ((e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') && typeof e.message === 'string') {
    const columns = sqliteColumnsByIndex[indexName];
    return columns !== undefined && e.message.endsWith(columns);
  }
  return false;
}

export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as DriverError;
  return e?.code === '23503' || e?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** SQLSTATE classes meaning "the database is not there for us right now" (PostgreSQL Appendix A). */
const unavailableSqlStates = /^(08|53|57P0[1-3]|28)/;
const unavailableNodeCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
]);

/**
 * True when a query failed because the database is unreachable or refusing us (connection
 * refused or lost, login revoked, too many connections, shutting down): the request is
 * answered 503 and the next one tries again, rather than a 500.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // A write whose shared SQLite commit failed for another's reason (group-commit.ts): nothing stored, retry.
  if (error instanceof SharedCommitFailedError) return true;
  // A commit that could not be made durable (group-commit.ts): refused until a restart, which /readyz asks for.
  if (error instanceof DurabilityLostError) return true;
  const e = error as DriverError;
  if (typeof e?.code === 'string') {
    if (unavailableNodeCodes.has(e.code)) return true;
    if (/^[0-9A-Z]{5}$/.test(e.code) && unavailableSqlStates.test(e.code)) return true;
  }
  // pg's pool says so only in words when it cannot connect in time, or the connection ends mid-query.
  return typeof e?.message === 'string' && unavailableMessages.some((pattern) => pattern.test(e.message as string));
}

/** pg's own wording for a server that cannot be reached or went away. */
const unavailableMessages = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /connection (?:error|closed)/i,
  /Client has encountered a connection error/i,
];
