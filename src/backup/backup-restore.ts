import type { MasterKey } from '../crypto/master-keys.js';
import type { Database } from '../db/database.js';
import { migrate, readMigrations } from '../db/migrate.js';
import { BackupFileError, readBackupRecords } from './backup-reader.js';
import type { BackupTable } from './backup-tables.js';
import { type VerifySummary, verifyBackup } from './backup-verify.js';
import type { Progress } from './progress.js';
import { createSnapshotRepo, type SnapshotRepo } from './snapshot.repo.js';

/** The target database holds rows already: restoring would mix two vaults. Nothing was changed. */
export class RestoreRefusedError extends Error {
  override name = 'RestoreRefusedError';
}

/** Bound parameters per INSERT, under SQLite's 32 766 and PostgreSQL's 65 535. */
const PARAMETERS_PER_INSERT = 30_000;
const MAX_ROWS_PER_INSERT = 1_000;

async function refuseUnlessEmpty(repo: SnapshotRepo, tables: readonly BackupTable[]): Promise<void> {
  const found: string[] = [];
  for (const table of tables) {
    const rows = await repo.count(table);
    if (rows > 0) found.push(`${table} (${rows} rows)`);
  }
  if (found.length > 0) {
    throw new RestoreRefusedError(
      `the target database is not empty: it holds ${found.join(', ')}. Restore only into an empty database; nothing was changed`,
    );
  }
}

/**
 * `fleetvault restore`: verifies the file with the configured master keys (`verifyBackup`), refuses a target that holds
 * any row (before migrating it, so a refused restore changes nothing), applies the target engine's migrations, then
 * inserts every row in ONE transaction in the file's table order (parents first). The bytes are hashed again on the
 * way in and compared with the verified checksum before the commit: all or nothing.
 */
export async function restoreBackup(
  database: Database,
  file: string,
  masterKeys: readonly MasterKey[],
  progress: Progress,
): Promise<VerifySummary & { restored: Record<string, number> }> {
  const newestSchemaVersion = readMigrations(database.engine).at(-1)?.version ?? 0;
  const verified = await verifyBackup(file, masterKeys, { newestSchemaVersion, progress });
  if (verified.manifest.schema_version !== newestSchemaVersion) {
    throw new BackupFileError(
      `the backup has schema version ${verified.manifest.schema_version}, this fleetvault restores version ${newestSchemaVersion}: ` +
        'restore it with the release that wrote it, start that release once on the restored vault to migrate it, then back up again',
    );
  }
  const repo = createSnapshotRepo(database.db, database.engine);
  await refuseUnlessEmpty(repo, await repo.existingTables());
  await database.withStartupLock(() => migrate(database));

  const restored: Record<string, number> = {};
  await database.db.transaction().execute(async (trx) => {
    const target = createSnapshotRepo(trx, database.engine);
    await refuseUnlessEmpty(target, await target.existingTables());
    const { records, sha256 } = readBackupRecords(file);
    progress.phase('restore');
    let batch: { table: BackupTable; columns: string[]; rows: unknown[][] } | undefined;
    const flush = async () => {
      if (batch === undefined || batch.rows.length === 0) return;
      await target.insertRows(batch.table, batch.columns, batch.rows);
      restored[batch.table] = (restored[batch.table] ?? 0) + batch.rows.length;
      progress.rows(batch.table, restored[batch.table]!);
      batch.rows = [];
    };
    for await (const record of records) {
      if (record.type === 'table') {
        await flush();
        batch = { table: record.name as BackupTable, columns: record.columns, rows: [] };
        restored[record.name] = 0;
        continue;
      }
      batch!.rows.push(record.values);
      const limit = Math.min(MAX_ROWS_PER_INSERT, Math.floor(PARAMETERS_PER_INSERT / Math.max(record.columns.length, 1)));
      if (batch!.rows.length >= limit) await flush();
    }
    await flush();
    // The rows inserted are the bytes verified: a file changed since the check rolls everything back.
    if (sha256() !== verified.manifest.sha256) throw new BackupFileError('the file changed after it was verified; nothing was restored');
  });
  progress.end();
  return { ...verified, restored };
}
