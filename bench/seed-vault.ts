import SQLite from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { cliFleetlessContext } from '../src/core/context.js';
import { createDeps } from '../src/deps.js';
import { auditKeyOf, seedAuditEvents } from '../test/helpers/seed-audit-events.js';

/**
 * A SQLite vault of one fleet with `credentials` NIU credentials (real sealed secrets, `secret-<i>`) and a chain of
 * `events` authentic audit events, written straight into the tables in one transaction each: a vault big enough to
 * measure backups, without hours of requests to build it. The bench parts `backup` and `backup-pause` use it.
 */
export async function seedSqliteVault(
  dataDir: string,
  masterKey: Buffer,
  sizes: { credentials: number; events: number },
): Promise<{ fleetId: string; file: string }> {
  const config = loadConfig({ FLEETVAULT_DATA_DIR: dataDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const deps = await createDeps(config, { masterKeys: [{ id: 'bench', key: masterKey }] });
  const fleet = await deps.services.fleets.create(cliFleetlessContext, 'bench');
  const sealed: Buffer[] = [];
  let dataKeyId = '';
  for (let i = 0; i < sizes.credentials; i++) {
    const done = await deps.keyring.sealSecrets(deps.store.repos.dataKeys, fleet.id, benchCredentialId(i), 1, {
      client_secret: `secret-${i}`,
    });
    sealed.push(done.sealed);
    dataKeyId = done.dataKeyId;
  }
  const auditKey = await auditKeyOf({ deps });
  await deps.close();
  const file = `${dataDir}/fleetvault.db`;
  insertCredentials(file, fleet.id, sealed, dataKeyId);
  seedAuditEvents(file, fleet.id, auditKey, sizes.events);
  return { fleetId: fleet.id, file };
}

export const benchCredentialId = (i: number) => `01JBENCHCRED${String(i).padStart(14, '0')}`;

function insertCredentials(file: string, fleetId: string, sealed: Buffer[], dataKeyId: string): void {
  const db = new SQLite(file);
  try {
    const now = '2026-12-06T00:00:00.000Z';
    const insert = db.prepare(`INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets,
      secret_version, created_at, updated_at, secret_updated_at, secret_created_by, status, status_checked_at, data_key_id)
      VALUES (?, ?, 'niu', NULL, '', 1, ?, ?, 1, ?, ?, ?, '{"type":"cli","id":"bench"}', 'unknown', NULL, ?)`);
    db.transaction(() => {
      sealed.forEach((value, i) =>
        insert.run(benchCredentialId(i), fleetId, JSON.stringify({ client_id: `client-${i}` }), value, now, now, now, dataKeyId),
      );
    })();
  } finally {
    db.close();
  }
}
