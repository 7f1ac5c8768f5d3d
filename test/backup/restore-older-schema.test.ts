import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { BackupFileError } from '../../src/backup/backup-reader.js';
import { restoreBackup } from '../../src/backup/backup-restore.js';
import { silentProgress } from '../../src/backup/progress.js';
import { openDatabase } from '../../src/db/database.js';
import { type Migration, readMigrations } from '../../src/db/migrate.js';
import { cli, cliEnv, expectVaultRestored, openRestored, populateVault, tempDir } from '../helpers/backup-vault.js';
import { buildTestApp } from '../helpers/test-app.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';
import { fileMasterKey } from '../../src/crypto/master-key-provider.js';

/**
 * A backup written at an older schema than the restoring release knows (docs/backup.md, "Restoring"): the target is
 * migrated up to the backup's version, the rows go in, then the newer migrations run on them, in one transaction. The
 * "newer release" here is this one plus a migration of its own that adds a column and fills it from the rows: it can
 * only fill them if it ran after they were loaded. A backup newer than the release stays refused.
 */
const sqliteStorage: TestStorage = { engine: 'sqlite', databaseUrl: undefined, pgSchema: undefined, drop: async () => {} };
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

function openTarget(target: TestStorage, dataDir: string) {
  return target.databaseUrl === undefined
    ? openDatabase(`sqlite:${path.join(dataDir, 'fleetvault.db')}`)
    : openDatabase(target.databaseUrl, { pgSchema: target.pgSchema! });
}

describe('restoring a backup of an older schema', { timeout: 120_000 }, () => {
  it('migrates up to the backup, loads its rows, then applies the newer migrations to them', async () => {
    const source = await buildTestApp({ reuse: { storage: sqliteStorage, dataDir: tempDir('fleetvault-older-source-') } });
    cleanup.push(() => source.close());
    const facts = await populateVault(source);
    const key = source.masterKeys[0]!;
    const work = tempDir('fleetvault-older-');
    cleanup.push(async () => fs.rmSync(work, { recursive: true, force: true }));
    const file = path.join(work, 'vault.backup');
    const backup = await cli(['backup', '--out', file, '--json'], cliEnv(sqliteStorage, source.dataDir, key));
    expect(backup.code, backup.stderr).toBe(0);
    const current = readMigrations('sqlite').at(-1)!.version;
    expect(JSON.parse(backup.stdout).schema_version).toBe(current);

    const target = await createTestStorage();
    cleanup.push(() => target.drop());
    const targetDir = tempDir('fleetvault-older-target-');
    cleanup.push(async () => fs.rmSync(targetDir, { recursive: true, force: true }));
    const later: Migration = {
      version: current + 1,
      name: 'test_restored_note',
      sql: `ALTER TABLE credentials ADD COLUMN restored_note TEXT;
        UPDATE credentials SET restored_note = 'upgraded ' || brand;`,
    };
    const database = openTarget(target, targetDir);
    try {
      // A release that knows only older migrations refuses the newer backup, and changes nothing.
      const older = readMigrations(target.engine).slice(0, -1);
      await expect(restoreBackup(database, file, [fileMasterKey(key)], silentProgress, { migrations: older })).rejects.toThrow(
        BackupFileError,
      );
      await expect(restoreBackup(database, file, [fileMasterKey(key)], silentProgress, { migrations: older })).rejects.toThrow(
        `schema version ${current}, newer than this fleetvault knows`,
      );

      const done = await restoreBackup(database, file, [fileMasterKey(key)], silentProgress, {
        migrations: [...readMigrations(target.engine), later],
      });
      expect(done.restored.credentials).toBe(1);
      const versions = await database.db.selectFrom('schema_migrations').select('version').orderBy('version').execute();
      expect(versions.map((row) => row.version)).toEqual([...readMigrations(target.engine).map((m) => m.version), later.version]);
      const notes = await sql<{ id: string; restored_note: string }>`SELECT id, restored_note FROM credentials`.execute(database.db);
      expect(notes.rows).toEqual([{ id: facts.credentialId, restored_note: 'upgraded niu' }]);
    } finally {
      await database.close();
    }

    // The release's own start applies its migrations (none left) and serves the restored vault.
    const restored = await openRestored(target, targetDir, key);
    try {
      await expectVaultRestored(restored, facts);
    } finally {
      await restored.close();
    }
  });
});
