import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows } from '../helpers/audit-switch.js';
import { runTsScript } from '../helpers/run-process.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * `fleetvault audit verify` against a database tampered with directly, as someone with write access
 * to the database but not the master key would: every kind of tampering is found and named.
 */
let t: TestApp;
let env: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp();
  const key = t.masterKeys[0]!;
  env = {
    FLEETVAULT_DATA_DIR: t.dataDir,
    FLEETVAULT_MASTER_KEYS: `${key.id}:${key.key.toString('base64')}`,
    ...(t.storage.databaseUrl && t.storage.pgSchema && { DATABASE_URL: urlWithSchema(t.storage.databaseUrl, t.storage.pgSchema) }),
  };
});

afterAll(async () => {
  await t?.close();
});

const cli = (args: string[]) => runTsScript('src/cli.ts', args, env, 60_000);

/** A fleet with a chain of 8 events (client, token, a credential rotated five times). */
async function fleetWithChain(): Promise<string> {
  const f = await t.newFleet(['credentials:read', 'credentials:write']);
  const id = (await t.call(f.token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's0' })).json().id;
  for (let i = 1; i <= 5; i++) await t.call(f.token, 'PATCH', `/niu/credentials/${id}`, { client_secret: `s${i}` });
  expect((await auditRows(t, f.fleetId)).length).toBe(8);
  return f.fleetId;
}

async function verify(fleetId: string, extra: string[] = []) {
  const result = await cli(['audit', 'verify', '--fleet', fleetId, '--json', ...extra]);
  const report = JSON.parse(result.stdout) as { intact: boolean; chains: { problem?: { seq: number; kind: string } }[] };
  return { code: result.code, report, problem: report.chains[0]?.problem };
}

const db = () => t.deps.database.db;

describe('fleetvault audit verify', { timeout: 120_000 }, () => {
  it('exits 0 on intact chains, the system chain included, and prints each head', async () => {
    const fleetId = await fleetWithChain();
    const one = await verify(fleetId);
    expect(one).toMatchObject({ code: 0, report: { intact: true, chains: [{ fleet_id: fleetId, events: 8 }] } });
    const all = await cli(['audit', 'verify']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('system chain: intact');
    expect(all.stdout).toContain(`fleet ${fleetId}: intact, 8 event(s), head 8:`);
  });

  it('finds an edited details value (altered)', async () => {
    const fleetId = await fleetWithChain();
    await db()
      .updateTable('audit_events')
      .set({ details: '{"secret_version":99,"fields":["client_secret"]}' })
      .where('chain', '=', fleetId)
      .where('seq', '=', 5)
      .execute();
    expect(await verify(fleetId)).toMatchObject({ code: 1, problem: { seq: 5, kind: 'altered' } });
  });

  it('finds a deleted row (missing)', async () => {
    const fleetId = await fleetWithChain();
    await db().deleteFrom('audit_events').where('chain', '=', fleetId).where('seq', '=', 4).execute();
    expect(await verify(fleetId)).toMatchObject({ code: 1, problem: { seq: 4, kind: 'missing' } });
  });

  it('finds two rows whose seq were swapped (reordered)', async () => {
    const fleetId = await fleetWithChain();
    const where = (seq: number) => sql`chain = ${fleetId} AND seq = ${seq}`;
    await sql`UPDATE audit_events SET seq = 1000 WHERE ${where(3)}`.execute(db());
    await sql`UPDATE audit_events SET seq = 3 WHERE ${where(6)}`.execute(db());
    await sql`UPDATE audit_events SET seq = 6 WHERE ${where(1000)}`.execute(db());
    expect(await verify(fleetId)).toMatchObject({ code: 1, problem: { seq: 3, kind: 'reordered' } });
  });

  it('finds a forged row appended to the chain (inserted)', async () => {
    const fleetId = await fleetWithChain();
    const [last] = (await auditRows(t, fleetId)).slice(-1);
    await db()
      .insertInto('audit_events')
      .values({
        ...last!,
        id: '01JFORGEDEVENT000000000000',
        seq: 9,
        prev_hash: last!.hash,
        hash: 'forged'.padEnd(43, 'x'),
        details: '{"secret_version":1}',
      })
      .execute();
    expect(await verify(fleetId)).toMatchObject({ code: 1, problem: { seq: 9, kind: 'inserted' } });
  });

  it('finds a truncated tail: through the recorded head, and through --expect-head when the head was rewound too', async () => {
    const fleetId = await fleetWithChain();
    const rows = await auditRows(t, fleetId);
    const anchor = `${rows[7]!.seq}:${rows[7]!.hash}`;
    await db().deleteFrom('audit_events').where('chain', '=', fleetId).where('seq', '>', 6).execute();
    expect(await verify(fleetId)).toMatchObject({ code: 1, problem: { seq: 7, kind: 'missing' } });

    await db().updateTable('audit_heads').set({ seq: 6, hash: rows[5]!.hash }).where('chain', '=', fleetId).execute();
    expect(await verify(fleetId)).toMatchObject({ code: 0 });
    expect(await verify(fleetId, ['--expect-head', anchor])).toMatchObject({ code: 1, problem: { seq: 7, kind: 'missing' } });
  });

  it('without --fleet checks every chain and exits 1 when any is broken, naming it', async () => {
    const fleetId = await fleetWithChain();
    await db()
      .updateTable('audit_events')
      .set({ action: 'credential.created' })
      .where('chain', '=', fleetId)
      .where('seq', '=', 2)
      .execute();
    const all = await cli(['audit', 'verify']);
    expect(all.code).toBe(1);
    expect(all.stdout).toContain(`fleet ${fleetId}: NOT intact at seq 2 (altered)`);
  });

  it('refuses a malformed --expect-head with a usage error (exit 2)', async () => {
    const result = await cli(['audit', 'verify', '--fleet', '01JAAAAAAAAAAAAAAAAAAAAAAA', '--expect-head', 'latest']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--expect-head must be <seq>:<hash>');
  });
});

describe('fleetvault audit export', { timeout: 60_000 }, () => {
  it('prints the fleet\u2019s events oldest first as JSON lines, from --since on', async () => {
    const fleetId = await fleetWithChain();
    const result = await cli(['audit', 'export', '--fleet', fleetId]);
    expect(result.code, result.stderr).toBe(0);
    const events = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events[2]).toMatchObject({ fleet_id: fleetId, action: 'credential.created' });
    const later = await cli(['audit', 'export', '--fleet', fleetId, '--since', events[7].at]);
    expect(
      later.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line).seq),
    ).toContain(8);
    expect((await cli(['audit', 'export', '--fleet', fleetId, '--since', 'soon'])).code).toBe(2);
  });
});
