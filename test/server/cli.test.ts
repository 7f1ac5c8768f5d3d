import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { createTestStorage } from '../helpers/test-database.js';

/** The `fleetvault` command (src/cli.ts) run as a process against a test app's database. */
let t: TestApp;
let env: Record<string, string>;
/** The app's log lines at warn and above, shown when an assertion on a response fails. */
const appLog: string[] = [];

function cli(args: string[], extraEnv: Record<string, string> = {}) {
  return runTsScript('src/cli.ts', args, { ...env, ...extraEnv }, 60_000);
}

const noStackTrace = (text: string) => expect(text).not.toMatch(/\n\s+at |Error: .*\n.*node:/);

beforeAll(async () => {
  t = await buildTestApp({ logger: pino({ level: 'warn' }, { write: (line: string) => void appLog.push(line) }) });
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

describe('fleetvault CLI', { timeout: 90_000 }, () => {
  let fleetId: string;

  it('fleet create <name> --json prints {id, name}', async () => {
    const result = await cli(['fleet', 'create', 'Fleet Hamburg', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const fleet = JSON.parse(result.stdout);
    expect(Object.keys(fleet).sort()).toEqual(['id', 'name']);
    expect(fleet).toEqual({ id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/), name: 'Fleet Hamburg' });
    fleetId = fleet.id;
  });

  it('client create --json prints the client once, and its token carries exactly the given scopes', async () => {
    const result = await cli([
      'client',
      'create',
      '--fleet',
      fleetId,
      '--name',
      'ops',
      '--scopes',
      'credentials:read,vehicles:read',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(Object.keys(client).sort()).toEqual(['client_id', 'client_secret', 'fleet_id', 'scopes']);
    expect(client).toMatchObject({ fleet_id: fleetId, scopes: ['credentials:read', 'vehicles:read'] });

    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().scope.split(' ').sort()).toEqual(['credentials:read', 'vehicles:read']);
    const claims = JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ fleet: fleetId, sub: client.client_id });
    expect(claims.scope.split(' ').sort()).toEqual(['credentials:read', 'vehicles:read']);

    // The scopes hold: reading works, writing is refused.
    const token = res.json().access_token as string;
    const read = await t.call(token, 'GET', '/credentials');
    expect(read.statusCode, `${read.body}\n${appLog.join('')}`).toBe(200);
    const write = await t.call(token, 'POST', '/niu/credentials', { client_id: 'a', client_secret: 'b' });
    expect(write.statusCode, `${write.body}\n${appLog.join('')}`).toBe(403);
  });

  it("a fleet made by the CLI is usable by a running app: its data key opens in the app's process", async () => {
    const admin = await t.tokenFor(fleetId);
    const created = await t.call(admin, 'POST', '/niu/credentials', { client_id: 'cli-fleet', client_secret: 'cli-fleet-secret' });
    expect(created.statusCode, `${created.body}\n${appLog.join('')}`).toBe(201);
    const rotated = await t.call(admin, 'PATCH', `/niu/credentials/${created.json().id}`, { client_secret: 'cli-fleet-secret-2' });
    expect(rotated.statusCode, rotated.body).toBe(200);
  });

  it('client create without --scopes gives read scopes only; plain output shows the secret once', async () => {
    const result = await cli(['client', 'create', '--fleet', fleetId, '--name', 'reader']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/client_secret \(shown once\): \S{40,}/);
    expect(result.stdout).toMatch(/^scopes: credentials:read vehicles:read$/m);
    const json = JSON.parse((await cli(['client', 'create', '--fleet', fleetId, '--name', 'reader 2', '--json'])).stdout);
    expect(json.scopes).toEqual(['credentials:read', 'vehicles:read']);
  });

  it('client create grants clients:manage, reveal and exchange when named', async () => {
    const scopes = 'clients:manage,credentials:reveal,credentials:exchange';
    const json = JSON.parse((await cli(['client', 'create', '--fleet', fleetId, '--name', 'admin', '--scopes', scopes, '--json'])).stdout);
    expect([...json.scopes].sort()).toEqual(['clients:manage', 'credentials:exchange', 'credentials:reveal']);
  });

  it('client create --restrict-brands/--restrict-credentials makes a restricted client; its token carries the restriction', async () => {
    const id = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const args = ['client', 'create', '--fleet', fleetId, '--name', 'niu connector', '--scopes', 'credentials:read'];
    const result = await cli([...args, '--restrict-brands', 'niu,tesla', '--restrict-credentials', id.toLowerCase(), '--json']);
    expect(result.code, result.stderr).toBe(0);
    const client = JSON.parse(result.stdout);
    expect(client.restrict).toEqual({ brands: ['niu', 'tesla'], credential_ids: [id] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
    });
    expect(JSON.parse(Buffer.from(res.json().access_token.split('.')[1], 'base64url').toString()).rst).toEqual({
      b: ['niu', 'tesla'],
      c: [id],
    });
    const refused = await cli([...args, '--scopes', 'credentials:read,audit:read', '--restrict-brands', 'niu']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/scopes: a restricted client cannot hold audit:read');
    const unknown = await cli([...args, '--restrict-brands', 'niu,acme']);
    expect(unknown.stderr).toContain('/restrict/brands/1: is not a known brand');
    noStackTrace(unknown.stderr);
  });

  it('refuses an unknown scope with a clear message and no stack trace', async () => {
    const result = await cli(['client', 'create', '--fleet', fleetId, '--name', 'x', '--scopes', 'credentials:read,credentials:steal']);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^fleetvault: /);
    expect(result.stderr).toContain('scopes');
    noStackTrace(result.stderr);
  });

  it('refuses an unknown fleet with a clear message and no stack trace', async () => {
    const result = await cli(['client', 'create', '--fleet', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--name', 'x']);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/fleetvault: .*[Ff]leet/);
    noStackTrace(result.stderr);
  });

  it('refuses client create without --fleet, saying what is missing', async () => {
    const result = await cli(['client', 'create', '--name', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--fleet');
    noStackTrace(result.stderr);
  });

  it('refuses an unknown option with usage, not a stack trace', async () => {
    const result = await cli(['fleet', 'create', 'x', '--colour', 'blue']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/colour/);
    expect(result.stderr).toContain('usage: fleetvault');
    noStackTrace(result.stderr);
  });

  it('answers an unknown command with its name and usage, exit 2, before touching any data', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-cli-unknown-'));
    const result = await cli(['fleet', 'destroy', 'x'], { FLEETVAULT_DATA_DIR: empty });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^unknown command: fleet destroy\n\nusage: fleetvault/);
    // No development master key or database was created for a command that does not exist.
    expect(fs.readdirSync(empty)).toEqual([]);
    fs.rmSync(empty, { recursive: true, force: true });
  });

  it('prints usage and exits 2 without arguments', async () => {
    const result = await cli([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^usage: fleetvault/);
    expect(result.stderr).toContain('fleet create');
    expect(result.stderr).toContain('client create');
    expect(result.stderr).toContain('migrate');
  });

  it('names a bad configuration variable', async () => {
    const result = await cli(['fleet', 'create', 'x'], { LOG_LEVEL: 'chatty' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('LOG_LEVEL');
    noStackTrace(result.stderr);
  });

  it('refuses to run with a master key that does not open the data', async () => {
    const wrong = `${t.masterKeys[0]!.id}:${Buffer.alloc(32, 7).toString('base64')}`;
    const result = await cli(['fleet', 'create', 'x'], { FLEETVAULT_MASTER_KEYS: wrong });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/does not open/);
    noStackTrace(result.stderr);
  });
});

describe('fleetvault migrate', { timeout: 120_000 }, () => {
  it('migrates an empty database, then has nothing more to do', async () => {
    const storage = await createTestStorage();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-cli-'));
    const migrateEnv = {
      FLEETVAULT_DATA_DIR: dataDir,
      ...(storage.databaseUrl && storage.pgSchema && { DATABASE_URL: urlWithSchema(storage.databaseUrl, storage.pgSchema) }),
    };
    try {
      const first = await runTsScript('src/cli.ts', ['migrate', '--json'], migrateEnv);
      expect(first.code, first.stderr).toBe(0);
      const applied = JSON.parse(first.stdout).applied as unknown[];
      expect(applied.length).toBeGreaterThan(0);
      const second = await runTsScript('src/cli.ts', ['migrate', '--json'], migrateEnv);
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toEqual({ applied: [] });
      const plain = await runTsScript('src/cli.ts', ['migrate'], migrateEnv);
      expect(plain.stdout.trim()).toBe('database is up to date');
      // migrate needs no master key and creates none.
      expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
    } finally {
      await storage.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('fleetvault keys rotate', { timeout: 120_000 }, () => {
  it('re-wraps the data keys under the first master key, after which the old key alone is refused', async () => {
    const old = t.masterKeys[0]!;
    const fresh = `rotated:${Buffer.alloc(32, 7).toString('base64')}`;
    const both = { FLEETVAULT_MASTER_KEYS: `${fresh},${old.id}:${old.key.toString('base64')}` };
    const result = await cli(['keys', 'rotate', '--json'], both);
    expect(result.code, result.stderr).toBe(0);
    const done = JSON.parse(result.stdout);
    expect(done.active_master_key).toBe('rotated');
    expect(done.rewrapped_data_keys).toBeGreaterThanOrEqual(1);
    expect(done.rewrapped_vault_keys).toBe(3); // token signing, client-secret hashing, audit HMAC
    expect(JSON.parse((await cli(['keys', 'rotate', '--json'], both)).stdout)).toMatchObject({
      rewrapped_data_keys: 0,
      rewrapped_vault_keys: 0,
    });

    const onlyNew = await cli(['fleet', 'create', 'after rotation', '--json'], { FLEETVAULT_MASTER_KEYS: fresh });
    expect(onlyNew.code, onlyNew.stderr).toBe(0);
    const onlyOld = await cli(['fleet', 'create', 'old key', '--json']);
    expect(onlyOld.code).toBe(1);
    expect(onlyOld.stderr).toMatch(/master key "rotated".*not configured/);
    noStackTrace(onlyOld.stderr);
  });
});
