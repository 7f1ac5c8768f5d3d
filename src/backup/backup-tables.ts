/**
 * The tables a backup holds, declared in ONE place, in an order that satisfies every foreign key (a parent
 * before its children), so a restore can insert them in this order. `test/backup/backup-tables.test.ts` compares
 * this list with the live schema of both engines after every migration: a table a new migration adds fails
 * that test until it is listed here or in `excludedTables` with its reason (docs/backup.md).
 */
export const backupTables = [
  'fleets',
  'vault_keys',
  'fleet_data_keys',
  'api_clients',
  'credentials',
  'credential_secret_versions',
  'vehicles',
  'assertion_jtis',
  'idempotency_keys',
  'audit_events',
  'audit_heads',
  'sign_in_rules',
  'people',
  'fleet_people',
  'webhooks',
  'webhook_secrets',
] as const;

export type BackupTable = (typeof backupTables)[number];

/**
 * Each table's unique key, the order its rows are read and written in (keyset pages inside the snapshot). Audit
 * events go chain by chain in `seq` order, so `backup verify` walks every chain in one pass over the file.
 */
export const backupTableKeys: Readonly<Record<BackupTable, readonly string[]>> = {
  fleets: ['id'],
  vault_keys: ['id'],
  fleet_data_keys: ['id'],
  api_clients: ['id'],
  credentials: ['id'],
  credential_secret_versions: ['credential_id', 'secret_version'],
  vehicles: ['id'],
  assertion_jtis: ['client_id', 'jti'],
  idempotency_keys: ['fleet_id', 'idempotency_key'],
  audit_events: ['chain', 'seq'],
  audit_heads: ['chain'],
  sign_in_rules: ['id'],
  people: ['id'],
  fleet_people: ['fleet_id', 'person_id'],
  webhooks: ['id'],
  webhook_secrets: ['webhook_id', 'version'],
};

/**
 * Tables left out of a backup, each with why. Short-lived rows (used assertion jtis, idempotency records) are
 * kept IN the backup on purpose: restored minutes later they still refuse a replayed assertion (RFC 7523 §3,
 * "jti") and still replay an answered write, which dropping them would silently break.
 */
export const excludedTables: Readonly<Record<string, string>> = {
  schema_migrations: 'the target applies its own migrations; the backup records the schema version in its trailer',
  webhook_deliveries:
    'delivery attempts, not changes: a restored vault does not send its past events again (docs/webhooks.md); the subscriptions are kept',
  sign_in_states: 'sign-in round trips live 10 minutes: a browser mid-sign-in signs in again (docs/sign-in.md)',
  sign_in_codes: 'one-time codes live 60 seconds (docs/sign-in.md)',
  device_authorizations: 'device codes live 10 minutes: `fleetvault login` starts again (docs/sign-in.md)',
};
