import type { MasterKeyWrapper } from '../crypto/master-key-provider.js';
import type { Database } from '../db/database.js';
import { type Migration, migrateWithin, readMigrations } from '../db/migrate.js';
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
 * `fleetvault restore`: verifies the file with the configured master keys (`verifyBackup`; a backup of a newer schema
 * is refused there), refuses a target that holds any row, then in ONE transaction: applies the target engine's
 * migrations up to the backup's schema version, inserts every row in the file's table order (parents first), applies
 * the remaining migrations, and compares the bytes, hashed again on the way in, with the verified checksum before the
 * commit. All or nothing: a failed or killed restore leaves the target as it found it.
 */
export async function restoreBackup(
  database: Database,
  file: string,
  masterKeys: readonly MasterKeyWrapper[],
  progress: Progress,
  options: { migrations?: readonly Migration[] } = {},
): Promise<VerifySummary & { restored: Record<string, number> }> {
  const migrations = options.migrations ?? readMigrations(database.engine);
  const newestSchemaVersion = migrations.at(-1)?.version ?? 0;
  const verified = await verifyBackup(file, masterKeys, { newestSchemaVersion, progress });
  const backupSchema = verified.manifest.schema_version;
  if (!migrations.some((m) => m.version === backupSchema)) {
    throw new BackupFileError(`the backup has schema version ${backupSchema}, which this fleetvault has no migration for`);
  }
  const repo = createSnapshotRepo(database.db, database.engine);
  await refuseUnlessEmpty(repo, await repo.existingTables());

  const restored: Record<string, number> = {};
  await database.withStartupLock(() =>
    database.db.transaction().execute(async (trx) => {
      const target = createSnapshotRepo(trx, database.engine);
      await migrateWithin(database, trx, migrations, { upTo: backupSchema });
      const applied = await target.schemaVersion();
      if (applied > backupSchema) {
        throw new RestoreRefusedError(
          `the target database is already migrated to schema version ${applied}, past the backup's ${backupSchema}: ` +
            'restore into a new, empty database; nothing was changed',
        );
      }
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
      // The rows are in at the backup's schema: the newer migrations upgrade them as they upgrade a live vault.
      await migrateWithin(database, trx, migrations);
    }),
  );
  progress.end();
  return { ...verified, restored };
}
