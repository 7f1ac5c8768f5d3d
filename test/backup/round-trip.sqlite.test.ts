import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, expectVaultRestored, openRestored, populateVault, tempDir, type VaultFacts } from '../helpers/backup-vault.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import type { TestStorage } from '../helpers/test-database.js';
import { readMigrations } from '../../src/db/migrate.js';

/** `fleetvault backup` of a serving SQLite vault, `restore` into an empty SQLite file: the vault works as before. */
const sqliteStorage: TestStorage = { engine: 'sqlite', databaseUrl: undefined, pgSchema: undefined, drop: async () => {} };

let source: TestApp;
let facts: VaultFacts;
let work: string;

beforeAll(async () => {
  source = await buildTestApp();
  facts = await populateVault(source);
  work = tempDir('fleetvault-backup-');
});

afterAll(async () => {
  await source?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

describe('backup and restore, SQLite to SQLite', { timeout: 240_000 }, () => {
  it('restores a backup taken while the vault serves: tokens, clients, secrets, versions, vehicles and audit chains', async () => {
    const file = path.join(work, 'vault.backup');
    const key = source.masterKeys[0]!;
    const backup = await cli(['backup', '--out', file, '--json'], cliEnv(source.storage, source.dataDir, key));
    expect(backup.code, backup.stderr).toBe(0);
    expect(backup.stderr, 'no progress line when stderr is not a terminal').toBe('');
    const summary = JSON.parse(backup.stdout);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(summary).toMatchObject({
      engine: 'sqlite',
      schema_version: Math.max(...readMigrations('sqlite').map((m) => m.version)),
      counts: { credentials: 1, vehicles: 1, credential_secret_versions: 2 },
    });
    const head = summary.audit_heads[facts.fleetId];
    expect(head.seq).toBeGreaterThan(0);

    const targetDir = tempDir('fleetvault-restore-');
    const targetEnv = cliEnv(sqliteStorage, targetDir, key);
    const restore = await cli(['restore', '--in', file, '--json'], targetEnv);
    expect(restore.code, restore.stderr).toBe(0);
    expect(JSON.parse(restore.stdout)).toMatchObject({ ok: true, engine: 'sqlite', restored: summary.counts });

    const verify = await cli(['audit', 'verify', '--fleet', facts.fleetId, '--expect-head', `${head.seq}:${head.hash}`], targetEnv);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    const restored = await openRestored(sqliteStorage, targetDir, key);
    try {
      await expectVaultRestored(restored, facts);
    } finally {
      await restored.close();
    }
  });
});
