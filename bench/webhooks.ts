/**
 * Webhook figures (docs/webhooks.md), on SQLite in one process with a real loopback receiver:
 *   1. what one subscription adds to a PATCH (secret rotation): the outbox row in the change's transaction;
 *   2. delivery latency, commit → receiver, with the dispatcher running (its idle poll included);
 *   3. dispatcher throughput to a fast receiver, at the default concurrency and at 32.
 * `npx tsx bench/webhooks.ts` (BENCH_WEBHOOK_PATCHES, BENCH_WEBHOOK_DELIVERIES to change the counts). Not run in CI.
 */
import { buildTestApp, niuExample, type TestApp } from '../test/helpers/test-app.js';
import { Registry } from 'prom-client';
import { createWebhookDispatcher } from '../src/webhooks/webhook-dispatcher.js';
import { systemResolve } from '../src/webhooks/webhook-url.js';
import { startReceiver } from '../test/helpers/webhook-receiver.js';

const patches = Number(process.env.BENCH_WEBHOOK_PATCHES ?? 2000);
const deliveries = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 2000);
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

function expect201(res: { statusCode: number; body: string }): void {
  if (res.statusCode !== 201) throw new Error(`POST /webhooks answered ${res.statusCode}: ${res.body}`);
}

async function patchRate(t: TestApp, token: string, ids: string[]): Promise<{ perSecond: number; meanMs: number }> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < patches) {
      const n = next++;
      const res = await t.call(token, 'PATCH', `/niu/credentials/${ids[n % ids.length]}`, { client_secret: `s-${n}` });
      if (res.statusCode !== 200) throw new Error(`PATCH answered ${res.statusCode}: ${res.body}`);
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: patches / seconds, meanMs: (seconds * 1000) / patches };
}

async function main() {
  const receiver = await startReceiver();
  const env = {
    FLEETVAULT_WEBHOOK_ALLOW_HOSTS: `127.0.0.1:${receiver.port}`,
    FLEETVAULT_WEBHOOK_CONCURRENCY: '8',
    // The figures are the vault's, not its rate limits'.
    FLEETVAULT_RATE_LIMIT_MAX: '0',
    FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '0',
  };
  const t = await buildTestApp({ env });
  try {
    const { token } = await t.newFleet();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++)
      ids.push((await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: `bench ${i}` })).json().id);

    // 1. PATCH without, then with, one subscription ('*': every event queues a delivery). Dispatcher stopped.
    await patchRate(t, token, ids); // warm-up
    const before = await patchRate(t, token, ids);
    expect201(await t.call(token, 'POST', '/webhooks', { url: receiver.url(), events: ['*'] }));
    const after = await patchRate(t, token, ids);
    console.log(
      `PATCH ×${patches}, 10 in flight: no subscription ${before.perSecond.toFixed(0)}/s (${before.meanMs.toFixed(2)} ms), ` +
        `one subscription ${after.perSecond.toFixed(0)}/s (${after.meanMs.toFixed(2)} ms): ` +
        `${(((before.perSecond - after.perSecond) / before.perSecond) * 100).toFixed(1)} % fewer`,
    );

    // 3. Throughput: the backlog the PATCHes queued (plus more if asked), drained from a standing start.
    const drain = async (concurrency: number) => {
      const { store, keyring, clock, config } = t.deps;
      const dispatcher = createWebhookDispatcher({
        ...{ store, keyring, clock, registry: new Registry() },
        settings: { ...config.webhooks, concurrency },
        urlRules: { allowHosts: config.webhooks.allowHosts, resolve: systemResolve },
      });
      const pending = (await t.deps.store.repos.webhookDeliveries.pendingStats()).pending;
      const started = performance.now();
      dispatcher.start();
      while ((await t.deps.store.repos.webhookDeliveries.pendingStats()).pending > 0) await new Promise((r) => setTimeout(r, 20));
      await dispatcher.stop();
      return { pending, perSecond: pending / ((performance.now() - started) / 1000) };
    };
    const first = await drain(8);
    console.log(`dispatcher: ${first.pending} deliveries at concurrency 8: ${first.perSecond.toFixed(0)} deliveries/s`);
    for (let i = 0; i < deliveries; i++)
      await t.call(token, 'PATCH', `/niu/credentials/${ids[i % ids.length]}`, { client_secret: `d-${i}` });
    const second = await drain(32);
    console.log(`dispatcher: ${second.pending} deliveries at concurrency 32: ${second.perSecond.toFixed(0)} deliveries/s`);

    // 2. Latency: one change at a time with the dispatcher running; commit ≈ the answer's arrival (it follows the commit).
    receiver.received.length = 0;
    const arrived = new Map<string, number>();
    receiver.answer((request, res) => {
      arrived.set(request.headers['webhook-id']!, performance.now());
      res.writeHead(204).end();
    });
    t.deps.webhookDispatcher.start();
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const res = await t.call(token, 'PATCH', `/niu/credentials/${ids[i % ids.length]}`, { client_secret: `l-${i}` });
      const committed = performance.now();
      const version = res.json().secret_version as number;
      const deadline = committed + 5000;
      let eventId: string | undefined;
      while (performance.now() < deadline) {
        const trail = (await t.call(token, 'GET', `/audit?target_id=${ids[i % ids.length]}&limit=1`)).json().items[0];
        eventId = trail.details.secret_version === version ? (trail.id as string) : undefined;
        if (eventId !== undefined && arrived.has(eventId)) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      if (eventId === undefined || !arrived.has(eventId)) throw new Error('a delivery did not arrive within 5 s');
      latencies.push(arrived.get(eventId)! - committed);
    }
    await t.deps.webhookDispatcher.stop();
    latencies.sort((x, y) => x - y);
    console.log(
      `latency commit → receiver, 200 changes one at a time: ` +
        `p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
    );
  } finally {
    await t.close();
    await receiver.close();
  }
}

await main();
