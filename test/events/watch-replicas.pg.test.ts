import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSse, type SseStream } from '../helpers/sse.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * Two app instances over one PostgreSQL database, as two replicas: a change committed on one reaches a watch stream
 * on the other through the poll of its fleet's reader (docs/design.md §2.13), in order and once.
 */
const POLL_MS = 200;
let first: TestApp;
let second: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
const streams: SseStream[] = [];

beforeAll(async () => {
  const env = { FLEETVAULT_EVENTS_POLL_MS: String(POLL_MS) };
  first = await buildTestApp({ env });
  second = await buildTestApp({ env, reuse: { dataDir: first.dataDir, storage: first.storage }, masterKeys: first.masterKeys });
  await first.app.listen({ port: 0, host: '127.0.0.1' });
  fleet = await first.newFleet();
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  await second?.close({ keepData: true });
  await first?.close();
});

async function watchOnFirst(query = ''): Promise<SseStream> {
  const port = (first.app.server.address() as AddressInfo).port;
  const stream = await openSse(`http://127.0.0.1:${port}/events${query}`, { authorization: `Bearer ${fleet.token}` });
  streams.push(stream);
  return stream;
}

describe('watch stream across replicas (PostgreSQL)', () => {
  it('a write on the second instance reaches a stream on the first, within the poll interval', async () => {
    const stream = await watchOnFirst();
    const created = await second.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: 'on-the-other-replica' });
    expect(created.statusCode, created.body).toBe(201);
    const [event] = await stream.events(1, 10 * POLL_MS + 3000);
    expect(event).toMatchObject({ event: 'credential.created' });
    expect(JSON.parse(event!.data!)).toMatchObject({ fleet_id: fleet.fleetId, target: { id: created.json().id, brand: 'niu' } });
  });

  it('writes on both instances, interleaved, arrive once each and in seq order', async () => {
    const stream = await watchOnFirst('?actions=credential.created');
    const apps = [first, second, second, first, second];
    for (const [index, app] of apps.entries()) {
      const res = await app.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: `interleaved-${index}` });
      expect(res.statusCode, res.body).toBe(201);
    }
    const events = await stream.events(apps.length, 10 * POLL_MS + 3000);
    const seqs = events.map((e) => Number(e.id));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(apps.length);
    expect(events.map((e) => (JSON.parse(e.data!) as { seq: number }).seq)).toEqual(seqs);
    await expect(stream.events(apps.length + 1, 3 * POLL_MS)).rejects.toThrow(/did not arrive/);
  });
});
