import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { CLIENT_LIVENESS_TTL_MS } from '../../src/clients/client-liveness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { assertionClaims, nowSeconds, signEs256 } from '../helpers/key-client.js';
import { adminQuery } from '../helpers/test-database.js';
import { type ServerProcess, startServer, urlWithSchema } from '../helpers/server-process.js';

/** Two real server processes on two ports sharing one PostgreSQL schema (docs/design.md §5). */
const adminUrl = process.env.TEST_DATABASE_URL!;
const schema = `fv_replicas_${randomBytes(5).toString('hex')}`;
const ROUNDS = 12;

let a: ServerProcess;
let b: ServerProcess;
let dataDirs: string[];
let token: string;

async function call(server: ServerProcess, method: string, url: string, body?: unknown) {
  const res = await fetch(server.baseUrl + url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  await adminQuery(adminUrl, `CREATE SCHEMA ${schema}`);
  dataDirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-replica-')));
  const shared = {
    DATABASE_URL: urlWithSchema(adminUrl, schema),
    FLEETVAULT_MASTER_KEYS: `replicas:${randomBytes(32).toString('base64')}`,
    FLEETVAULT_PUBLIC_URL: 'http://fleetvault.test',
  };
  // Started together: migrations, vault keys and the bootstrap fleet must happen exactly once.
  const started = await Promise.all(dataDirs.map((dir) => startServer({ ...shared, FLEETVAULT_DATA_DIR: dir })));
  [a, b] = [started[0]!, started[1]!];
  const bootstrapFile = dataDirs.map((dir) => path.join(dir, 'bootstrap-client.json')).find((file) => fs.existsSync(file))!;
  const client = JSON.parse(fs.readFileSync(bootstrapFile, 'utf8'));
  const res = await fetch(`${a.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
}, 90_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await adminQuery(adminUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const dir of dataDirs ?? []) fs.rmSync(dir, { recursive: true, force: true });
});

describe('two replicas on one PostgreSQL database', () => {
  it('started together: one schema migration, one signing key, one bootstrap fleet', async () => {
    const files = dataDirs.filter((dir) => fs.existsSync(path.join(dir, 'bootstrap-client.json')));
    expect(files).toHaveLength(1);
    const keys = await adminQuery(
      adminUrl,
      `SELECT purpose, count(*)::int AS n FROM ${schema}.vault_keys GROUP BY purpose ORDER BY purpose`,
    );
    expect(keys.rows).toEqual([
      { purpose: 'audit-hmac', n: 1 },
      { purpose: 'client-secret-hash', n: 1 },
      { purpose: 'token-signing', n: 1 },
    ]);
    const fleets = await adminQuery(adminUrl, `SELECT count(*)::int AS n FROM ${schema}.fleets`);
    expect(fleets.rows[0].n).toBe(1);
  });

  it("accepts one replica's token on the other", async () => {
    expect((await call(b, 'GET', '/credentials')).status).toBe(200);
    expect((await call(a, 'GET', '/credentials')).status).toBe(200);
  });

  it('creates a name on both at once: exactly one 201 and one 409 each time', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const body = { name: `Shared name ${round}`, client_id: `c${round}`, client_secret: `s-${round}` };
      const results = await Promise.all([call(a, 'POST', '/niu/credentials', body), call(b, 'POST', '/niu/credentials', body)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
      expect(results.find((r) => r.status === 409)!.body.type).toBe('/problems/name-already-exists');
    }
  });

  it('never leaves a vehicle pointing at a credential deleted on the other replica', async () => {
    const outcomes = { deleted: 0, refused: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const created = await call(a, 'POST', '/niu/credentials', { client_id: `race${round}`, client_secret: 'x' });
      const id = created.body.id as string;
      const attach = (n: number) =>
        call(b, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `race-${round}-${n}`, credentials_id: id });
      const [del, ...vehicles] = await Promise.all([call(a, 'DELETE', `/niu/credentials/${id}`), attach(1), attach(2), attach(3)]);
      expect([204, 409]).toContain(del.status);
      for (const v of vehicles) expect([201, 422]).toContain(v.status);
      const attached = vehicles.filter((v) => v.status === 201).length;
      if (del.status === 204) {
        outcomes.deleted++;
        expect(attached).toBe(0);
      } else {
        outcomes.refused++;
        expect(del.body.vehicle_count).toBeGreaterThanOrEqual(1);
      }
    }
    const dangling = await adminQuery(
      adminUrl,
      `SELECT v.id FROM ${schema}.vehicles v LEFT JOIN ${schema}.credentials c ON c.id = v.credentials_id WHERE c.id IS NULL`,
    );
    expect(dangling.rows).toEqual([]);
    expect(outcomes.deleted + outcomes.refused).toBe(ROUNDS);
  });

  it('refuses a client deleted on one replica on the other within 5 seconds', async () => {
    const created = await call(a, 'POST', '/clients', { name: 'short-lived', scopes: ['credentials:read'] });
    expect(created.status).toBe(201);
    const { id, client_secret } = created.body as { id: string; client_secret: string };
    const tokenRes = await fetch(`${b.baseUrl}/oauth/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: id, client_secret }),
    });
    const shortLived = ((await tokenRes.json()) as { access_token: string }).access_token;
    const readOnB = () => fetch(`${b.baseUrl}/credentials`, { headers: { authorization: `Bearer ${shortLived}` } });
    expect((await readOnB()).status).toBe(200);

    expect((await call(a, 'DELETE', `/clients/${id}`)).status).toBe(204);
    // No wall-clock bound on a loaded machine: B answers 200 only from a liveness answer read before
    // the delete committed and younger than the TTL, so no request *sent* more than the TTL after the
    // DELETE was answered may get a 200, however slowly it is served. Poll until the first 401.
    const deletedAt = Date.now();
    let res: Response;
    let sentAt: number;
    const lateSuccesses: number[] = [];
    do {
      sentAt = Date.now();
      res = await readOnB();
      if (res.status === 200 && sentAt - deletedAt >= CLIENT_LIVENESS_TTL_MS) lateSuccesses.push(sentAt - deletedAt);
    } while (res.status === 200);
    expect(lateSuccesses).toEqual([]);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { type: string }).type).toBe('/problems/invalid-token');
  });

  it('writes one fleet chain from both replicas at once without a gap or a fork', async () => {
    const created = await call(a, 'POST', '/niu/credentials', { client_id: 'chain', client_secret: 's0' });
    const id = created.body.id as string;
    const before = (await call(a, 'GET', '/audit/head')).body as { fleet_id: string; seq: number };
    // Rotations and creates from both replicas interleave: each takes the chain's head row lock in its transaction.
    const writes = Array.from({ length: 40 }, (_, i) =>
      i % 2 === 0
        ? call(i % 4 === 0 ? a : b, 'PATCH', `/niu/credentials/${id}`, { client_secret: `s${i}` })
        : call(i % 4 === 1 ? a : b, 'POST', '/niu/credentials', { client_id: `chain-${i}`, client_secret: 'x' }),
    );
    const statuses = (await Promise.all(writes)).map((r) => r.status);
    expect(statuses.every((status) => [200, 201, 412].includes(status))).toBe(true);
    const rows = (
      await adminQuery(adminUrl, `SELECT seq, prev_hash, hash FROM ${schema}.audit_events WHERE chain = $1 ORDER BY seq`, [before.fleet_id])
    ).rows;
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
    for (let i = 1; i < rows.length; i++) expect(rows[i].prev_hash).toBe(rows[i - 1].hash);
    // Exactly one event per successful write (a 412 rotation changed nothing and wrote nothing).
    expect(rows.length - before.seq).toBe(statuses.filter((status) => status !== 412).length);
  });

  it('refuses on one replica an assertion jti already used on the other', async () => {
    const created = await call(a, 'POST', '/clients', { kind: 'key', name: 'service account', scopes: ['credentials:read'] });
    expect(created.status).toBe(201);
    const keyFile = created.body as { id: string; private_key: string };
    const assertion = signEs256(assertionClaims(keyFile.id, 'http://fleetvault.test', nowSeconds()), createPrivateKey(keyFile.private_key));
    const exchange = (server: ServerProcess) =>
      fetch(`${server.baseUrl}/v1/auth_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ assertion }),
      });
    expect((await exchange(a)).status).toBe(201);
    const replay = await exchange(b);
    expect(replay.status).toBeGreaterThanOrEqual(400);
    expect(replay.status).toBeLessThan(500);
    expect(await replay.text()).toMatch(/jti|already been used|replay/i);
  });
});
