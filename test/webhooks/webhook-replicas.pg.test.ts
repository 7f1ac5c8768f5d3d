import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';
import { type Receiver, startReceiver, until } from '../helpers/webhook-receiver.js';

/**
 * Two replicas on one PostgreSQL database, both dispatching at once (docs/design.md §2.13): their claims take
 * disjoint rows (`FOR UPDATE SKIP LOCKED`, then a lease), so each event reaches the receiver once while both are
 * healthy, and both replicas do part of the work.
 */
let a: TestApp;
let b: TestApp;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  const env = { FLEETVAULT_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`, FLEETVAULT_WEBHOOK_CONCURRENCY: '4' };
  a = await buildTestApp({ env });
  b = await buildTestApp({ env, reuse: a, masterKeys: a.masterKeys });
});
afterAll(async () => {
  await b?.close({ keepData: true });
  await a?.close();
  await receiver.close();
});

describe('two replicas on PostgreSQL', () => {
  it('deliver each event once, sharing the work', async () => {
    const { token } = await a.newFleet();
    const hook = await a.call(token, 'POST', '/webhooks', { url: receiver.url(), events: ['credential.created'] });
    expect(hook.statusCode).toBe(201);
    const count = 60;
    for (let i = 0; i < count; i++) {
      const app = i % 2 === 0 ? a : b;
      expect((await app.call(token, 'POST', '/niu/credentials', { ...niuExample, name: `replica ${i}` })).statusCode).toBe(201);
    }
    const sent = { a: 0, b: 0 };
    const both = async () => {
      const [fromA, fromB] = await Promise.all([a.deps.webhookDispatcher.tick(), b.deps.webhookDispatcher.tick()]);
      sent.a += fromA;
      sent.b += fromB;
      await Promise.all([a.deps.webhookDispatcher.settle(), b.deps.webhookDispatcher.settle()]);
    };
    await until(() => new Set(receiver.received.map((r) => r.headers['webhook-id'])).size >= count, both, 15_000);
    const ids = receiver.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(count);
    expect(new Set(ids).size).toBe(count);
    expect(sent.a + sent.b).toBe(count);
    expect(sent.a).toBeGreaterThan(0);
    expect(sent.b).toBeGreaterThan(0);
  });
});
