import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_BUFFERED_BYTES } from '../../src/events/watch.service.js';
import { auditKeyOf, seedAuditEvents } from '../helpers/seed-audit-events.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A client that stops reading is disconnected once MAX_BUFFERED_BYTES wait for it (docs/events.md "Limits"), instead of
 * the server holding its backlog. The backlog is written into the SQLite file by a second connection, as the CLI or
 * another process would, so the stream's fleet reader picks it up by its poll: ~14 MB of events, more than the
 * loopback socket buffers hold.
 */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp({ env: { FLEETVAULT_EVENTS_POLL_MS: '100' } });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await t?.close();
});

it('ends the stream of a client that has stopped reading, once its backlog passes the bound', async () => {
  const { fleetId, token } = await t.newFleet();
  const port = (t.app.server.address() as AddressInfo).port;
  const req = http.get(`http://127.0.0.1:${port}/events`, { agent: false, headers: { authorization: `Bearer ${token}` } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
  expect(res.statusCode).toBe(200);
  // Never read: the socket buffers fill, then the server's own.
  res.pause();
  expect(t.deps.services.watch.openStreams()).toBe(1);
  seedAuditEvents(t.config.databaseUrl.slice('sqlite:'.length), fleetId, await auditKeyOf(t), 40_000);
  expect(40_000 * 300).toBeGreaterThan(4 * MAX_BUFFERED_BYTES);
  const deadline = Date.now() + 15_000;
  while (t.deps.services.watch.openStreams() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(t.deps.services.watch.openStreams()).toBe(0);
  req.destroy();
});
