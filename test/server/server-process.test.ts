import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/database.js';
import { runTsScript } from '../helpers/run-process.js';
import { type ServerProcess, startServer, urlWithSchema } from '../helpers/server-process.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/** The real process (`src/server.ts`) on a real port: first start, restarts and refusals. */
let storage: TestStorage;
const dirs: string[] = [];
const servers: ServerProcess[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-proc-'));
  dirs.push(dir);
  return dir;
}

/** DATABASE_URL for the process: the SQLite default under the data dir, or this run's PostgreSQL schema. */
function databaseEnv(of: TestStorage = storage): Record<string, string> {
  return of.databaseUrl && of.pgSchema ? { DATABASE_URL: urlWithSchema(of.databaseUrl, of.pgSchema) } : {};
}

async function start(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ ...databaseEnv(), ...env }, 60_000);
  servers.push(server);
  return server;
}

async function fleetCount(dataDir: string): Promise<number> {
  const url = storage.databaseUrl ?? `sqlite:${path.join(dataDir, 'fleetvault.db')}`;
  const database = openDatabase(url, storage.pgSchema ? { pgSchema: storage.pgSchema, pgPoolSize: 1 } : {});
  try {
    return (await database.db.selectFrom('fleets').select('id').execute()).length;
  } finally {
    await database.close();
  }
}

beforeAll(async () => {
  storage = await createTestStorage();
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await storage?.drop();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('server process', { timeout: 120_000 }, () => {
  const dataDir = tempDir();
  let first: ServerProcess;
  let bootstrap: Record<string, string>;

  beforeAll(async () => {
    first = await start({ FLEETVAULT_DATA_DIR: dataDir });
    bootstrap = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap-client.json'), 'utf8'));
  }, 90_000);

  it('writes bootstrap-client.json with mode 0600 and the documented fields', () => {
    const file = path.join(dataDir, 'bootstrap-client.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(bootstrap).toMatchObject({
      fleet_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      client_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      client_secret: expect.any(String),
      token_url: expect.stringMatching(/^http:\/\/localhost:\d+\/oauth\/token$/),
    });
    expect(bootstrap.client_secret!.length).toBeGreaterThanOrEqual(40);
  });

  it('logs the bootstrap file path and never the client secret', () => {
    const output = first.output();
    expect(output).toContain(path.join(dataDir, 'bootstrap-client.json'));
    expect(output).not.toContain(bootstrap.client_secret);
  });

  it('creates the development master key with mode 0600 and warns about it', () => {
    const keyFile = path.join(dataDir, 'master.key');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    const warning = first
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string; file?: string })
      .find((r) => r.level === 40 && r.file === keyFile);
    expect(warning?.msg).toMatch(/development master key/);
    const keyText = fs.readFileSync(keyFile, 'utf8').trim();
    expect(first.output()).not.toContain(keyText.split(':')[1]!);
  });

  it('serves the INVERS flow over real HTTP: token by HTTP Basic, POST, GET', async () => {
    const tokenRes = await fetch(`${first.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${bootstrap.client_id}:${bootstrap.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(tokenRes.status).toBe(200);
    const { access_token: token } = (await tokenRes.json()) as { access_token: string };
    const auth = { authorization: `Bearer ${token}` };
    const created = await fetch(`${first.baseUrl}/niu/credentials`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'NIU fleet Berlin', client_id: 'client1', client_secret: 'supersecret' }),
    });
    const createdText = await created.text();
    expect(created.status, createdText).toBe(201);
    expect(createdText).not.toContain('supersecret');
    const id = JSON.parse(createdText).id as string;
    expect(created.headers.get('location')).toContain(`/niu/credentials/${id}`);
    const got = await fetch(`${first.baseUrl}/niu/credentials/${id}`, { headers: auth });
    expect(got.status).toBe(200);
    expect(got.headers.get('cache-control')).toBe('no-store');
    const body = (await got.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ id, brand: 'niu', name: 'NIU fleet Berlin', client_id: 'client1', secret_version: 1 });
    expect(JSON.stringify(body)).not.toContain('supersecret');
    expect(first.output()).not.toContain('supersecret');
  });

  it('exits 0 on SIGTERM, and a second start on the same data creates no second bootstrap fleet', { timeout: 120_000 }, async () => {
    expect(await first.stop()).toBe(0);
    const before = fs.readFileSync(path.join(dataDir, 'bootstrap-client.json'), 'utf8');
    const second = await start({ FLEETVAULT_DATA_DIR: dataDir });
    expect(second.output()).not.toContain('bootstrap-client.json');
    expect(second.output()).not.toMatch(/created a development master key/);
    expect(fs.readFileSync(path.join(dataDir, 'bootstrap-client.json'), 'utf8')).toBe(before);
    const ready = await fetch(`${second.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await second.stop()).toBe(0);
    expect(await fleetCount(dataDir)).toBe(1);
  });

  it('refuses a restart with another FLEETVAULT_MASTER_KEYS than the one that created the data', { timeout: 120_000 }, async () => {
    const devKey = fs.readFileSync(path.join(dataDir, 'master.key'), 'utf8').trim();
    const keyId = devKey.split(':')[0]!;
    const wrong = `${keyId}:${randomBytes(32).toString('base64')}`;
    const result = await runTsScript('src/server.ts', [], {
      ...databaseEnv(),
      FLEETVAULT_DATA_DIR: dataDir,
      PORT: '0',
      FLEETVAULT_MASTER_KEYS: wrong,
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(/does not open the data key/);
    expect(result.stdout + result.stderr).not.toContain(wrong.split(':')[1]!);
    // The right key, given explicitly this time, still opens it.
    const again = await start({ FLEETVAULT_DATA_DIR: dataDir, FLEETVAULT_MASTER_KEYS: devKey });
    expect(await again.stop()).toBe(0);
  });
});

describe('server process refusals', { timeout: 90_000 }, () => {
  it('NODE_ENV=production without a master key exits non-zero naming FLEETVAULT_MASTER_KEYS', async () => {
    const dataDir = tempDir();
    const result = await runTsScript('src/server.ts', [], {
      ...databaseEnv(),
      FLEETVAULT_DATA_DIR: dataDir,
      PORT: '0',
      NODE_ENV: 'production',
    });
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toContain('FLEETVAULT_MASTER_KEYS');
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'bootstrap-client.json'))).toBe(false);
  });

  it('a bad PORT exits non-zero naming PORT, without a stack trace', async () => {
    const dataDir = tempDir();
    const result = await runTsScript('src/server.ts', [], { FLEETVAULT_DATA_DIR: dataDir, PORT: 'eighty' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.readdirSync(dataDir)).toEqual([]);
  });

  it('a port already in use exits non-zero with a plain message naming the port', { timeout: 90_000 }, async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    // A database of its own: the shared one belongs to another data dir's master key.
    const own = await createTestStorage();
    try {
      const result = await runTsScript('src/server.ts', [], { ...databaseEnv(own), FLEETVAULT_DATA_DIR: tempDir(), PORT: String(port) });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
      await own.drop();
    }
  });
});
