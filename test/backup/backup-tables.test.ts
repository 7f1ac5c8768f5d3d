import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupTables, excludedTables } from '../../src/backup/backup-tables.js';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/**
 * The backup's declared table list against the live schema after every migration, on the engine of the vitest
 * project: a table a new migration adds, listed neither in `backupTables` nor in `excludedTables`, fails here
 * instead of being silently left out of every backup.
 */
describe('backup table list', () => {
  let storage: TestStorage;
  let database: Database;
  let dataDir: string;

  beforeAll(async () => {
    storage = await createTestStorage();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-backup-tables-'));
    const url = storage.databaseUrl ?? `sqlite:${path.join(dataDir, 'vault.db')}`;
    database = openDatabase(url, { pgSchema: storage.pgSchema });
    await migrate(database);
  });

  afterAll(async () => {
    await database?.close();
    await storage?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function liveTables(): Promise<string[]> {
    const query =
      database.engine === 'sqlite'
        ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
        : sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
    return (await query.execute(database.db)).rows.map((row) => row.name).sort();
  }

  it('lists every table of the migrated schema exactly once, backed up or excluded with a reason', async () => {
    const declared = [...backupTables, ...Object.keys(excludedTables)].sort();
    expect(new Set(declared).size).toBe(declared.length);
    expect(await liveTables()).toEqual(declared);
  });
});
