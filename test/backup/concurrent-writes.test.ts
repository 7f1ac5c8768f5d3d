import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, openRestored, tempDir } from '../helpers/backup-vault.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { createTestStorage } from '../helpers/test-database.js';

/**
 * A backup taken while creates and rotations are in flight is one consistent snapshot: every write acknowledged
 * before the backup began is in the restored vault, and every audit chain of it holds (a chain's events and its head
 * were read at the same instant, or the restore's verification would refuse the file).
 */
const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Upper bound of the writer's loop, so the test ends even if the backup never does. */
const MAX_WRITES = 3_000;

describe('backup under concurrent writes', { timeout: 300_000 }, () => {
  it('holds every write acknowledged before it began, and restores with intact chains', async () => {
    const source: TestApp = await buildTestApp();
    cleanup.push(() => source.close());
    const { token } = await source.newFleet();
    const key = source.masterKeys[0]!;
    const work = tempDir('fleetvault-concurrent-');
    cleanup.push(async () => fs.rmSync(work, { recursive: true, force: true }));

    /** Acknowledged writes: credential id → the secret_version its last acknowledged write made. */
    const acknowledged = new Map<string, number>();
    let stop = false;
    let writes = 0;
    const writer = (async () => {
      while (!stop && writes < MAX_WRITES) {
        writes += 1;
        const ids = [...acknowledged.keys()];
        if (ids.length < 10 || writes % 3 === 0) {
          const res = await source.call(token, 'POST', '/niu/credentials', { client_id: `c${writes}`, client_secret: `s${writes}` });
          expect(res.statusCode, res.body).toBe(201);
          acknowledged.set(res.json().id, 1);
        } else {
          const id = ids[writes % ids.length]!;
          const res = await source.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: `s${writes}` });
          expect(res.statusCode, res.body).toBe(200);
          acknowledged.set(id, res.json().secret_version);
        }
      }
    })();
    while (acknowledged.size < 10) await new Promise((resolve) => setImmediate(resolve));

    const before = new Map(acknowledged);
    const file = path.join(work, 'vault.backup');
    const backup = await cli(['backup', '--out', file, '--json'], cliEnv(source.storage, source.dataDir, key));
    stop = true;
    await writer;
    expect(backup.code, backup.stderr).toBe(0);
    expect(writes, 'writes went on while the backup ran').toBeGreaterThan(before.size);

    const target = await createTestStorage();
    const targetDir = tempDir('fleetvault-concurrent-target-');
    const targetEnv = cliEnv(target, targetDir, key);
    const restore = await cli(['restore', '--in', file], targetEnv);
    expect(restore.code, restore.stderr).toBe(0);
    const verify = await cli(['audit', 'verify', '--json'], targetEnv);
    expect(JSON.parse(verify.stdout).intact, verify.stdout).toBe(true);

    const restored = await openRestored(target, targetDir, key);
    cleanup.push(() => restored.close());
    const rows = await restored.deps.database.db.selectFrom('credentials').select(['id', 'secret_version']).execute();
    const versions = new Map(rows.map((row) => [row.id, Number(row.secret_version)]));
    for (const [id, version] of before) {
      expect(versions.get(id), `credential ${id}`).toBeGreaterThanOrEqual(version);
    }
  });
});
