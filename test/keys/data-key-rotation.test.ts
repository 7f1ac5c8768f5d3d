import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CHAIN } from '../../src/audit/audit-chain.js';
import { projectRoot } from '../../src/db/project-root.js';
import { runTsScript } from '../helpers/run-process.js';
import { type ServerProcess, startServer, urlWithSchema } from '../helpers/server-process.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * `fleetvault keys rotate-data-key` as a process (docs/design.md §3): killed with SIGKILL halfway and run
 * again, and run while a server process takes PATCHes and reads of the same fleet.
 */
let t: TestApp;
let env: Record<string, string>;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
const ids: string[] = [];
const CREDENTIALS = 240;

const rekeyArgs = ['keys', 'rotate-data-key', '--fleet', '', '--json', '--batch-rows', '4'];
const args = () => rekeyArgs.map((a) => a || fleet.fleetId);
const lines = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

async function dataKeysOf(fleetId: string): Promise<string[]> {
  return (await t.deps.store.repos.dataKeys.ofFleet(fleetId)).map((k) => k.id);
}

/** How many current and kept sealed values of the fleet name each data key. */
async function rowsByKey(fleetId: string): Promise<Record<string, number>> {
  const { db } = t.deps.database;
  const counts: Record<string, number> = {};
  for (const table of ['credentials', 'credential_secret_versions'] as const) {
    for (const row of await db.selectFrom(table).select('data_key_id').where('fleet_id', '=', fleetId).execute()) {
      counts[String(row.data_key_id)] = (counts[String(row.data_key_id)] ?? 0) + 1;
    }
  }
  return counts;
}

/** Every current and kept secret of the fleet, revealed through the API (each opened with the key its row names). */
async function revealAll(): Promise<number> {
  let opened = 0;
  for (const id of ids) {
    const versions = (await t.call(fleet.token, 'GET', `/niu/credentials/${id}/versions`)).json().items as { secret_version: number }[];
    for (const { secret_version } of versions) {
      const res = await t.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets?version=${secret_version}`);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().secrets.client_secret).toMatch(/^(s|patched)-/);
      opened++;
    }
  }
  return opened;
}

beforeAll(async () => {
  // Reads here reveal every version, far past the per-client reveal limit a real caller gets.
  const unlimited = { FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: '10000000' };
  t = await buildTestApp({ env: unlimited });
  const key = t.masterKeys[0]!;
  env = {
    FLEETVAULT_DATA_DIR: t.dataDir,
    FLEETVAULT_MASTER_KEYS: `${key.id}:${key.key.toString('base64')}`,
    ...unlimited,
    ...(t.storage.databaseUrl && t.storage.pgSchema && { DATABASE_URL: urlWithSchema(t.storage.databaseUrl, t.storage.pgSchema) }),
  };
  fleet = await t.newFleet();
  for (let i = 0; i < CREDENTIALS; i++) {
    const res = await t.call(fleet.token, 'POST', '/niu/credentials', {
      ...niuExample,
      name: `Rekey ${i}`,
      client_id: `c-${i}`,
      client_secret: `s-${i}`,
    });
    ids.push(res.json().id as string);
    // Every third one has a kept earlier version: both tables are re-sealed.
    if (i % 3 === 0)
      expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids[i]}`, { client_secret: `patched-${i}` })).statusCode).toBe(200);
  }
}, 120_000);

afterAll(async () => {
  await t?.close();
});

describe('keys rotate-data-key', { timeout: 120_000 }, () => {
  it('finishes after kill -9 halfway without re-doing finished rows, then destroys the old key', async () => {
    const [oldKey] = await dataKeysOf(fleet.fleetId);
    const total = CREDENTIALS + CREDENTIALS / 3;
    expect(await rowsByKey(fleet.fleetId)).toEqual({ [oldKey!]: total });

    // Killed as soon as it reports a committed batch.
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'src/cli.ts'), ...args()], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/"resealed":[1-9]/.test(stdout) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.once('close', () => resolve());
    });
    expect(child.signalCode).toBe('SIGKILL');
    const keys = await dataKeysOf(fleet.fleetId);
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(oldKey);
    const split = await rowsByKey(fleet.fleetId);
    const movedBeforeKill = split[keys[0]!]!;
    expect(movedBeforeKill).toBeGreaterThan(0);
    expect(split[oldKey!]).toBe(total - movedBeforeKill);

    const second = await runTsScript('src/cli.ts', args(), env);
    expect(second.code, second.stderr).toBe(0);
    const done = lines(second.stdout).at(-1)!;
    expect(done).toMatchObject({
      event: 'done',
      resumed: true,
      data_key_id: keys[0],
      total: total - movedBeforeKill,
      resealed: total - movedBeforeKill,
    });
    expect(done.destroyed_data_key_ids).toEqual([oldKey]);
    expect(await dataKeysOf(fleet.fleetId)).toEqual([keys[0]]);
    expect(await rowsByKey(fleet.fleetId)).toEqual({ [keys[0]!]: total });
    expect(await revealAll()).toBe(total);

    const events = (await t.deps.store.repos.audit.page(SYSTEM_CHAIN, 0, 1000)).filter((e) => e.action === 'keys.data_key_rotated');
    expect(events.map((e) => e.details)).toEqual([
      {
        fleet_id: fleet.fleetId,
        data_key_id: keys[0],
        rows_resealed: total - movedBeforeKill,
        destroyed_data_key_ids: [oldKey],
        resumed: true,
      },
    ]);
  });

  it(
    're-seals while a server process takes PATCHes and reads of the fleet: all answer, every secret opens, the old key is ' + 'gone',
    async () => {
      const [oldKey] = await dataKeysOf(fleet.fleetId);
      let server: ServerProcess | undefined;
      try {
        server = await startServer({ ...env, FLEETVAULT_DATA_DIR: t.dataDir });
        const base = server.baseUrl;
        const token = (
          (await (
            await fetch(`${base}/oauth/token`, {
              method: 'POST',
              headers: { authorization: `Basic ${Buffer.from(`${fleet.clientId}:${fleet.clientSecret}`).toString('base64')}` },
              body: new URLSearchParams({ grant_type: 'client_credentials' }),
            })
          ).json()) as { access_token: string }
        ).access_token;
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

        const rekey = runTsScript('src/cli.ts', args(), env);
        let running = true;
        void rekey.finally(() => (running = false));
        const statuses: number[] = [];
        let round = 0;
        // Rounds that ran while the fleet held both keys: proves the writes and reads overlapped the rotation.
        let duringRotation = 0;
        // PATCH and read the same credentials the rotation is moving, until it has finished.
        while (running || round < 20) {
          const id = ids[round % ids.length]!;
          const patched = await fetch(`${base}/niu/credentials/${id}`, {
            method: 'PATCH',
            headers,
            body: JSON.stringify({ client_secret: `patched-r${round}` }),
          });
          const read = await fetch(`${base}/niu/credentials/${id}/secrets`, { headers });
          statuses.push(patched.status, read.status);
          if ((await dataKeysOf(fleet.fleetId)).length === 2) duringRotation++;
          if (patched.status !== 200) throw new Error(`PATCH ${patched.status}: ${await patched.text()}`);
          if (read.status === 200)
            expect(((await read.json()) as { secrets: { client_secret: string } }).secrets.client_secret).toBe(`patched-r${round}`);
          round++;
        }
        const result = await rekey;
        expect(result.code, result.stderr).toBe(0);
        expect(new Set(statuses)).toEqual(new Set([200]));
        expect(duringRotation).toBeGreaterThan(0);
        const done = lines(result.stdout).at(-1)!;
        expect(done).toMatchObject({ event: 'done', resumed: false, destroyed_data_key_ids: [oldKey] });
      } finally {
        await server?.stop();
      }
      const keys = await dataKeysOf(fleet.fleetId);
      expect(keys).toHaveLength(1);
      expect(keys).not.toContain(oldKey);
      const byKey = await rowsByKey(fleet.fleetId);
      expect(Object.keys(byKey)).toEqual(keys);
      expect(await revealAll()).toBe(byKey[keys[0]!]);
    },
  );

  it('--all gives every fleet a new key; every secret still opens', async () => {
    const other = await t.newFleet();
    const id = (await t.call(other.token, 'POST', '/niu/credentials', niuExample)).json().id as string;
    const before = await dataKeysOf(other.fleetId);
    const result = await runTsScript('src/cli.ts', ['keys', 'rotate-data-key', '--all', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const done = lines(result.stdout).filter((line) => line.event === 'done');
    expect(done.map((line) => line.fleet_id)).toEqual(expect.arrayContaining([fleet.fleetId, other.fleetId]));
    const after = await dataKeysOf(other.fleetId);
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    expect(await rowsByKey(other.fleetId)).toEqual({ [after[0]!]: 1 });
    expect((await t.call(other.token, 'GET', `/niu/credentials/${id}/secrets`)).json().secrets).toEqual({
      client_secret: niuExample.client_secret,
    });
  });

  it('refuses a call without --fleet or --all (exit 2), and names an unknown fleet (exit 1) without a stack trace', async () => {
    const neither = await runTsScript('src/cli.ts', ['keys', 'rotate-data-key'], env);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('keys rotate-data-key needs --fleet <id> or --all');
    const unknown = await runTsScript('src/cli.ts', ['keys', 'rotate-data-key', '--fleet', '01ARZ3NDEKTSV4RRFFQ69G5FAV'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('fleetvault: Fleet not found.\n');
  });
});
