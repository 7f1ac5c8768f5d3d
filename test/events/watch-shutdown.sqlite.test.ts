import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { type ServerProcess, startServer } from '../helpers/server-process.js';
import { openSse } from '../helpers/sse.js';

/** SIGTERM on the real process with watch streams open: it exits 0 at once, each stream ended cleanly (docs/events.md). */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-watch-shutdown-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  if (server?.child.exitCode === null) await server.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

it('SIGTERM ends open watch streams and the process exits 0 without waiting for them', { timeout: 90_000 }, async () => {
  server = await startServer({ FLEETVAULT_DATA_DIR: dataDir }, 60_000);
  const { client_id, client_secret } = JSON.parse(fs.readFileSync(path.join(dataDir, 'bootstrap-client.json'), 'utf8'));
  const res = await fetch(`${server.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id, client_secret, scope: 'audit:read' }),
  });
  expect(res.status).toBe(200);
  const { access_token } = (await res.json()) as { access_token: string };
  const streams = [
    await openSse(`${server.baseUrl}/events`, { authorization: `Bearer ${access_token}` }),
    await openSse(`${server.baseUrl}/events?after=0`, { authorization: `Bearer ${access_token}` }),
  ];
  expect(streams.map((s) => s.status)).toEqual([200, 200]);
  const started = Date.now();
  expect(await server.stop()).toBe(0);
  // The drain allows 10 s (docs/operations.md "Shutdown"); open streams must not use it up.
  expect(Date.now() - started).toBeLessThan(5000);
  for (const stream of streams) expect(await stream.ended(2000)).toBe(true);
});
