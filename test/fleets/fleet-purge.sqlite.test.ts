import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * `fleetvault fleet delete --purge` on SQLite (docs/design.md §3): with secure_delete on and the WAL
 * checkpointed, the database, -wal and -shm files hold none of the fleet's credential ids and none
 * of its sealed values, while another fleet's stay (so the scan is known to find what is there).
 */
let t: TestApp;
let env: Record<string, string>;

const cli = (args: string[]) => runTsScript('src/cli.ts', args, env, 60_000);

/** The live database files: the main file, the WAL and the shared-memory index. */
const databaseFileNames = () => fs.readdirSync(t.dataDir).filter((f) => f.startsWith('fleetvault.db'));

function databaseFiles(): Buffer[] {
  return databaseFileNames().map((f) => fs.readFileSync(path.join(t.dataDir, f)));
}

/** Which of the needles occur anywhere in the database files. */
function found(needles: Buffer[]): Buffer[] {
  const files = databaseFiles();
  return needles.filter((needle) => files.some((bytes) => bytes.includes(needle)));
}

async function populatedFleet(label: string) {
  const fleet = await t.newFleet();
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    const res = await t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: `${label} ${i}`, client_id: `${label}-${i}` });
    expect(res.statusCode).toBe(201);
    ids.push(res.json().id as string);
    // A kept earlier version of each: credential_secret_versions must be purged too.
    expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids[i]}`, { client_secret: `rotated-${label}-${i}` })).statusCode).toBe(
      200,
    );
  }
  const { db } = t.deps.database;
  const current = await db.selectFrom('credentials').select('sealed_secrets').where('fleet_id', '=', fleet.fleetId).execute();
  const kept = await db.selectFrom('credential_secret_versions').select('sealed_secrets').where('fleet_id', '=', fleet.fleetId).execute();
  const sealed = [...current, ...kept].map((row) => Buffer.from(row.sealed_secrets));
  expect(sealed).toHaveLength(40);
  return { fleetId: fleet.fleetId, ids: ids.map((id) => Buffer.from(id)), sealed };
}

beforeAll(async () => {
  t = await buildTestApp();
  const key = t.masterKeys[0]!;
  env = { FLEETVAULT_DATA_DIR: t.dataDir, FLEETVAULT_MASTER_KEYS: `${key.id}:${key.key.toString('base64')}` };
});

afterAll(async () => {
  await t?.close();
});

describe('fleet delete --purge leaves nothing of the fleet in the SQLite files', { timeout: 120_000 }, () => {
  it('refuses a plain delete naming the counts, then purges: no credential id and no sealed value remains', async () => {
    const kept = await populatedFleet('kept');
    const purged = await populatedFleet('purged');
    expect(found([...purged.ids, ...purged.sealed])).toHaveLength(60); // before: the scan sees every one

    const refused = await cli(['fleet', 'delete', purged.fleetId]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`fleetvault: Fleet ${purged.fleetId} still holds 20 credential(s) and 0 vehicle(s)`);

    const head = (await t.deps.store.repos.audit.head(purged.fleetId))!;
    const result = await cli(['fleet', 'delete', purged.fleetId, '--purge', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      id: purged.fleetId,
      purged: true,
      wal_checkpointed: true,
      last_seq: head.seq,
      last_hash: head.hash,
      // One master key configured: erased from the live files, not shredded in backups (docs/operations.md).
      shred: 'erased-in-place',
      retire_master_keys: [],
    });
    expect(JSON.parse(result.stdout).notice).toMatch(/backups.*open with master key/);

    expect(found(purged.ids).map(String)).toEqual([]);
    expect(found(purged.sealed)).toHaveLength(0);
    // The other fleet's rows are still there, and the scan still finds them.
    expect(found([...kept.ids, ...kept.sealed])).toHaveLength(60);
    process.stderr.write(
      `purge byte scan: 0 of ${purged.ids.length} ids and 0 of ${purged.sealed.length} sealed values found in ` +
        `${databaseFileNames().join(', ')}\n`,
    );
  });
});
