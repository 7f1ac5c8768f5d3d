import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerProcess, startServer, urlWithSchema } from '../helpers/server-process.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/** SIGTERM during a burst of writes, on the real process: nothing acknowledged is lost, nothing fails uncleanly. */
let storage: TestStorage;
let dataDir: string;
const servers: ServerProcess[] = [];

const env = () => ({
  FLEETVAULT_DATA_DIR: dataDir,
  ...(storage.databaseUrl && storage.pgSchema && { DATABASE_URL: urlWithSchema(storage.databaseUrl, storage.pgSchema) }),
});

async function start(): Promise<ServerProcess> {
  const server = await startServer(env(), 60_000);
  servers.push(server);
  return server;
}

async function accessToken(baseUrl: string): Promise<string> {
  const { client_id, client_secret } = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap-client.json'), 'utf8'));
  const res = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Failures a client can retry safely: the server was gone or going (refused, reset, closed) or said 503. */
const CLEAN_NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** A 503 keeps its content type and body: requests that arrive during the drain are refused with problem+json. */
type Outcome = { name: string; status: number; contentType?: string | null; text?: string } | { name: string; error: string };

beforeAll(async () => {
  storage = await createTestStorage();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-shutdown-'));
});

afterAll(async () => {
  for (const server of servers) await server.stop();
  await storage?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('graceful shutdown', () => {
  it('on SIGTERM mid-burst exits 0, keeps every acknowledged write, and fails the rest cleanly', { timeout: 120_000 }, async () => {
    const server = await start();
    const token = await accessToken(server.baseUrl);
    const exited = new Promise<number | null>((resolve) => server.child.once('exit', (code) => resolve(code)));

    const TOTAL = 300;
    const WORKERS = 16;
    const SIGTERM_AFTER = 40;
    const outcomes: Outcome[] = [];
    let next = 0;
    let signalled = false;
    const worker = async () => {
      while (next < TOTAL) {
        const name = `burst-${String(next++).padStart(4, '0')}`;
        try {
          const res = await fetch(`${server.baseUrl}/niu/credentials`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ name, client_id: name, client_secret: 'burst-secret' }),
          });
          const text = await res.text();
          outcomes.push({ name, status: res.status, ...(res.status === 503 && { contentType: res.headers.get('content-type'), text }) });
        } catch (error) {
          const cause = (error as { cause?: { code?: string } }).cause;
          outcomes.push({ name, error: cause?.code ?? String(error) });
        }
        if (!signalled && outcomes.length >= SIGTERM_AFTER) {
          signalled = true;
          server.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));

    expect(await exited).toBe(0);
    expect(server.output()).toContain('shutting down');
    const acknowledged = outcomes.filter((o): o is { name: string; status: number } => 'status' in o && o.status >= 200 && o.status < 300);
    const refused = outcomes.filter((o) => !acknowledged.includes(o as never));
    expect(acknowledged.length).toBeGreaterThanOrEqual(SIGTERM_AFTER - WORKERS);
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      if ('status' in outcome) {
        expect(outcome.status, outcome.name).toBe(503);
        expect(outcome.contentType, outcome.name).toBe('application/problem+json; charset=utf-8');
        expect(JSON.parse(outcome.text!), outcome.name).toMatchObject({ type: '/problems/service-unavailable', status: 503 });
      } else expect(CLEAN_NETWORK_ERRORS, `${outcome.name}: ${outcome.error}`).toContain(outcome.error);
    }

    // After a restart on the same data, every acknowledged credential is there.
    const again = await start();
    const readToken = await accessToken(again.baseUrl);
    const stored = new Set<string>();
    let cursor: string | null = null;
    do {
      const res = await fetch(`${again.baseUrl}/niu/credentials?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
        headers: { authorization: `Bearer ${readToken}` },
      });
      expect(res.status).toBe(200);
      const page = (await res.json()) as { items: { name: string }[]; next_cursor: string | null };
      for (const item of page.items) stored.add(item.name);
      cursor = page.next_cursor;
    } while (cursor !== null);
    for (const { name } of acknowledged) expect(stored.has(name), `${name} was acknowledged`).toBe(true);
    expect(await again.stop()).toBe(0);
  });
});
