import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';
import { type ServerProcess, startServer, urlWithSchema } from '../helpers/server-process.js';
import { adminQuery } from '../helpers/test-database.js';

/**
 * `keys rotate-signing` against two real server processes on one PostgreSQL schema (docs/design.md §3):
 * both publish the new key, both sign with it within 30 s, and tokens of the old key keep working.
 */
const adminUrl = process.env.TEST_DATABASE_URL!;
const schema = `fv_signing_${randomBytes(5).toString('hex')}`;
let env: Record<string, string>;
let replicas: ServerProcess[] = [];
let dataDirs: string[] = [];
let client: { client_id: string; client_secret: string };

const kidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid as string;

async function issue(server: ServerProcess): Promise<string> {
  const res = await fetch(`${server.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function jwksKids(server: ServerProcess): Promise<string[]> {
  const res = await fetch(`${server.baseUrl}/.well-known/jwks.json`);
  return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
}

async function status(server: ServerProcess, token: string): Promise<number> {
  return (await fetch(`${server.baseUrl}/credentials`, { headers: { authorization: `Bearer ${token}` } })).status;
}

beforeAll(async () => {
  await adminQuery(adminUrl, `CREATE SCHEMA ${schema}`);
  dataDirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-signing-')));
  env = {
    DATABASE_URL: urlWithSchema(adminUrl, schema),
    FLEETVAULT_MASTER_KEYS: `replicas:${randomBytes(32).toString('base64')}`,
    FLEETVAULT_PUBLIC_URL: 'http://fleetvault.test',
    // The test polls for tokens until both replicas switch keys: more than a client's 60 a minute.
    FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '100000',
    FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '100000',
  };
  replicas = await Promise.all(dataDirs.map((dir) => startServer({ ...env, FLEETVAULT_DATA_DIR: dir })));
  const bootstrapFile = dataDirs.map((dir) => path.join(dir, 'bootstrap-client.json')).find((file) => fs.existsSync(file))!;
  client = JSON.parse(fs.readFileSync(bootstrapFile, 'utf8'));
}, 90_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await adminQuery(adminUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('signing-key rotation across two replicas', { timeout: 120_000 }, () => {
  it('both replicas sign with the new key within 30 s, publish both keys meanwhile, and accept tokens of either', async () => {
    const [a, b] = [replicas[0]!, replicas[1]!];
    const before = [await issue(a), await issue(b)];
    const oldKid = kidOf(before[0]!);
    expect(kidOf(before[1]!)).toBe(oldKid);

    const rotatedAt = Date.now();
    const result = await runTsScript('src/cli.ts', ['keys', 'rotate-signing', '--json'], { ...env, FLEETVAULT_DATA_DIR: dataDirs[0]! });
    expect(result.code, result.stderr).toBe(0);
    const { kid } = JSON.parse(result.stdout) as { kid: string };
    const created = await adminQuery(adminUrl, `SELECT created_at FROM ${schema}.vault_keys WHERE id = $1`, [kid]);
    const createdAt = Date.parse(created.rows[0].created_at as string);

    // Poll each replica until it signs with the new key (the contract's bound, 30 s, is the deadline).
    const switchedAfterMs: number[] = [];
    for (const server of [a, b]) {
      let token = await issue(server);
      while (kidOf(token) !== kid) {
        expect(Date.now() - rotatedAt).toBeLessThan(30_000);
        // Until it switches, each replica publishes both keys, so the other's new tokens verify everywhere.
        const kids = await jwksKids(server);
        if (kids.includes(kid)) expect(kids).toEqual([kid, oldKid]);
        await new Promise((resolve) => setTimeout(resolve, 500));
        token = await issue(server);
      }
      switchedAfterMs.push(Date.now() - createdAt);
      for (const other of [a, b]) expect(await status(other, token)).toBe(200);
    }
    process.stderr.write(
      `signing rotation: replicas signed with the new key ${switchedAfterMs.join(' ms and ')} ms after it was created\n`,
    );

    // Tokens signed before the rotation keep working on both, and both keys stay published.
    for (const server of [a, b]) {
      for (const token of before) expect(await status(server, token)).toBe(200);
      expect(await jwksKids(server)).toEqual([kid, oldKid]);
    }
    const events = await adminQuery(adminUrl, `SELECT target_id FROM ${schema}.audit_events WHERE action = 'keys.signing_rotated'`);
    expect(events.rows).toEqual([{ target_id: kid }]);
  });
});
