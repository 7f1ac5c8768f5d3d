import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, expectVaultRestored, openRestored, populateVault, tempDir } from '../helpers/backup-vault.js';
import { buildTestApp, newMasterKey, type TestApp } from '../helpers/test-app.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/**
 * Moving a vault between engines with `backup` and `restore` (docs/backup.md): SQLite to PostgreSQL and back. Ids,
 * ciphertexts, client secret hashes, signing keys, versions and audit chains arrive unchanged, so the old token
 * verifies, the old client gets a token, secrets reveal and `audit verify --expect-head` holds with the backup's head.
 */
const sqliteStorage: TestStorage = { engine: 'sqlite', databaseUrl: undefined, pgSchema: undefined, drop: async () => {} };
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

async function roundTrip(source: TestApp, target: TestStorage) {
  const facts = await populateVault(source);
  const key = source.masterKeys[0]!;
  const work = tempDir('fleetvault-cross-');
  cleanup.push(async () => fs.rmSync(work, { recursive: true, force: true }));
  const file = path.join(work, 'vault.backup');

  const backup = await cli(['backup', '--out', file, '--json'], cliEnv(source.storage, source.dataDir, key));
  expect(backup.code, backup.stderr).toBe(0);
  const summary = JSON.parse(backup.stdout);
  expect(summary.engine).toBe(source.storage.engine);
  const head = summary.audit_heads[facts.fleetId];

  const targetDir = tempDir('fleetvault-cross-target-');
  const targetEnv = cliEnv(target, targetDir, key);
  const restore = await cli(['restore', '--in', file, '--json'], targetEnv);
  expect(restore.code, restore.stderr).toBe(0);
  expect(JSON.parse(restore.stdout)).toMatchObject({ engine: target.engine, from_engine: source.storage.engine, restored: summary.counts });

  const verify = await cli(['audit', 'verify', '--fleet', facts.fleetId, '--expect-head', `${head.seq}:${head.hash}`], targetEnv);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  const all = await cli(['audit', 'verify', '--json'], targetEnv);
  expect(JSON.parse(all.stdout).intact, all.stdout).toBe(true);

  const restored = await openRestored(target, targetDir, key);
  try {
    await expectVaultRestored(restored, facts);
    // Same ids, same ciphertexts and hashes, byte for byte.
    const rows = async (t: TestApp) => ({
      credentials: await t.deps.database.db
        .selectFrom('credentials')
        .select(['id', 'sealed_secrets', 'data_key_id'])
        .orderBy('id')
        .execute(),
      clients: await t.deps.database.db.selectFrom('api_clients').select(['id', 'secret_hash']).orderBy('id').execute(),
      keys: await t.deps.database.db.selectFrom('vault_keys').select(['id', 'sealed_key', 'public_jwk']).orderBy('id').execute(),
    });
    expect(await rows(restored)).toEqual(await rows(source));
  } finally {
    await restored.close();
  }
}

describe('moving a vault between engines', { timeout: 300_000 }, () => {
  it('SQLite to PostgreSQL', async () => {
    const source = await buildTestApp({ reuse: { storage: sqliteStorage, dataDir: tempDir('fleetvault-sqlite-source-') } });
    cleanup.push(() => source.close());
    expect(source.deps.database.engine).toBe('sqlite');
    await roundTrip(source, await createTestStorage());
  });

  it('PostgreSQL to SQLite', async () => {
    const source = await buildTestApp({ masterKeys: [newMasterKey('pg-1')] });
    cleanup.push(() => source.close());
    expect(source.deps.database.engine).toBe('postgres');
    await roundTrip(source, sqliteStorage);
  });
});
