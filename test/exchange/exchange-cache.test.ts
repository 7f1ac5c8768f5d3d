import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** Cache and single flight, status, audit and metrics, against the Smartcar emulator. */
let x: ExchangeTestApp;
let n = 0;
beforeAll(async () => {
  x = await buildExchangeApp();
});
afterAll(() => x?.close());

async function smartcarCredential(secret = 'sc-secret'): Promise<{ id: string; clientId: string }> {
  const clientId = `sc-client-${++n}`;
  x.emulators.smartcar!.accounts.set(clientId, secret);
  const res = await x.t.call(x.token, 'POST', '/smartcar/credentials', { client_id: clientId, client_secret: secret });
  expect(res.statusCode, res.body).toBe(201);
  return { id: res.json().id, clientId };
}

const smartcar = () => x.emulators.smartcar!;
const exchanged = (id: string) => ({
  action: 'credential.exchanged',
  outcome: 'success',
  target: { type: 'credential', id, brand: 'smartcar' },
});

describe('cache and single flight (docs/design.md §2.9)', () => {
  it('100 concurrent exchanges for one credential reach the brand once and all get its token', async () => {
    const { id } = await smartcarCredential();
    const before = smartcar().calls;
    const answers = await Promise.all(Array.from({ length: 100 }, () => x.exchange(id, 'smartcar')));
    expect(answers.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
    expect(smartcar().calls - before).toBe(1);
    expect(new Set(answers.map((r) => r.json().access_token))).toEqual(new Set([smartcar().issued.at(-1)]));
    // Every caller committed its own event; the one call that reached the brand set the status.
    expect(x.events.filter((e) => e.event.target.id === id)).toHaveLength(100);
    expect((await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json().status).toBe('authorized');
  });

  it('a second exchange is served from the cache (cached: true) without calling the brand; each answer is an audit event', async () => {
    const { id } = await smartcarCredential();
    const first = await x.exchange(id, 'smartcar');
    const calls = smartcar().calls;
    const second = await x.exchange(id, 'smartcar');
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json()).toEqual({ ...first.json(), expires_in: expect.any(Number), cached: true });
    expect(first.json().cached).toBe(false);
    expect(smartcar().calls).toBe(calls);
    const mine = x.events.filter((e) => e.event.target.id === id);
    expect(mine.map((e) => e.event)).toEqual([
      { ...exchanged(id), details: { cached: false, brand_status: 200 } },
      { ...exchanged(id), details: { cached: true, brand_status: null } },
    ]);
    const context = { fleetId: x.fleetId, actor: { type: 'client', id: expect.any(String) }, requestId: second.headers['x-request-id'] };
    expect(mine[1]!.context).toEqual(context);
    expect(JSON.stringify(x.events)).not.toContain(first.json().access_token);
  });

  it('a PATCH rotation makes the next exchange call the brand with the new secret (and resets status)', async () => {
    const { id, clientId } = await smartcarCredential('old-secret');
    await x.exchange(id, 'smartcar');
    expect((await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json().status).toBe('authorized');
    smartcar().accounts.set(clientId, 'new-secret');
    const patched = await x.t.call(x.token, 'PATCH', `/smartcar/credentials/${id}`, { client_secret: 'new-secret' });
    expect(patched.json()).toMatchObject({ secret_version: 2, status: 'unknown', status_checked_at: null });
    const calls = smartcar().calls;
    const res = await x.exchange(id, 'smartcar');
    expect(res.json()).toMatchObject({ secret_version: 2, cached: false, access_token: smartcar().issued.at(-1) });
    expect(smartcar().calls).toBe(calls + 1);
    expect(new URLSearchParams(smartcar().requests.at(-1)!.body).get('client_secret')).toBe('new-secret');
  });

  it('a DELETE drops the cached token', async () => {
    const { id } = await smartcarCredential();
    await x.exchange(id, 'smartcar');
    const held = x.t.deps.services.exchange.cachedTokenCount();
    expect((await x.t.call(x.token, 'DELETE', `/smartcar/credentials/${id}`)).statusCode).toBe(204);
    expect(x.t.deps.services.exchange.cachedTokenCount()).toBe(held - 1);
    expectProblem(await x.exchange(id, 'smartcar'), 'not-found', 404);
  });

  it('a PATCH rotation drops the cached token at once (the memory, not only the cache key)', async () => {
    const { id, clientId } = await smartcarCredential('old-secret');
    await x.exchange(id, 'smartcar');
    const held = x.t.deps.services.exchange.cachedTokenCount();
    smartcar().accounts.set(clientId, 'new-secret');
    expect((await x.t.call(x.token, 'PATCH', `/smartcar/credentials/${id}`, { client_secret: 'new-secret' })).statusCode).toBe(200);
    expect(x.t.deps.services.exchange.cachedTokenCount()).toBe(held - 1);
  });

  it('a restore of an earlier version drops the cached token, and the next exchange calls the brand with the restored secret', async () => {
    const { id, clientId } = await smartcarCredential('first-secret');
    smartcar().accounts.set(clientId, 'second-secret');
    expect((await x.t.call(x.token, 'PATCH', `/smartcar/credentials/${id}`, { client_secret: 'second-secret' })).statusCode).toBe(200);
    expect((await x.exchange(id, 'smartcar')).json().cached).toBe(false);
    const held = x.t.deps.services.exchange.cachedTokenCount();
    smartcar().accounts.set(clientId, 'first-secret');
    const restored = await x.t.call(x.token, 'POST', `/smartcar/credentials/${id}/versions/1/restore`);
    expect(restored.statusCode, restored.body).toBe(200);
    expect(x.t.deps.services.exchange.cachedTokenCount()).toBe(held - 1);
    const calls = smartcar().calls;
    const res = await x.exchange(id, 'smartcar');
    expect(res.json()).toMatchObject({ secret_version: 3, cached: false });
    expect(smartcar().calls).toBe(calls + 1);
    expect(new URLSearchParams(smartcar().requests.at(-1)!.body).get('client_secret')).toBe('first-secret');
  });

  it('a token is served until expires_at − max(60 s, 10 %), then fetched again (injected clock)', async () => {
    const { id } = await smartcarCredential();
    const first = (await x.exchange(id, 'smartcar')).json();
    const calls = smartcar().calls;
    // Smartcar tokens last 3600 s: 10 % (360 s) is more than 60 s, so fresh for 3240 s.
    x.clock.advance(3235_000);
    const late = (await x.exchange(id, 'smartcar')).json();
    expect(late).toMatchObject({ cached: true, access_token: first.access_token });
    expect(late.expires_in).toBeLessThanOrEqual(365);
    expect(smartcar().calls).toBe(calls);
    x.clock.advance(10_000);
    const fresh = (await x.exchange(id, 'smartcar')).json();
    expect(fresh.cached).toBe(false);
    expect(fresh.access_token).not.toBe(first.access_token);
    expect(smartcar().calls).toBe(calls + 1);
  });
});

describe('status in every view and list', () => {
  it('authorized after an exchange, set by the upstream call only, listed per row', async () => {
    const { id } = await smartcarCredential();
    const unknown = await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`);
    expect(unknown.json()).toMatchObject({ status: 'unknown', status_checked_at: null });
    await x.exchange(id, 'smartcar');
    const checked = (await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json();
    expect(checked).toMatchObject({ status: 'authorized', status_checked_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(Date.parse(checked.status_checked_at)).toBeLessThanOrEqual(x.clock.now().getTime());
    x.clock.advance(1000);
    await x.exchange(id, 'smartcar');
    // A cache hit does not touch the status.
    expect((await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json().status_checked_at).toBe(checked.status_checked_at);
    for (const url of ['/credentials?limit=200', '/smartcar/credentials?limit=200']) {
      const row = (await x.t.call(x.token, 'GET', url)).json().items.find((i: { id: string }) => i.id === id);
      expect(row).toMatchObject({ status: 'authorized', status_checked_at: checked.status_checked_at });
    }
  });
});

describe('metrics', () => {
  it('counts exchanges by brand and outcome, cache hits, and upstream latency', async () => {
    const { id } = await smartcarCredential();
    await x.exchange(id, 'smartcar');
    await x.exchange(id, 'smartcar');
    const text = (await x.t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/fleetvault_brand_exchanges_total\{brand="smartcar",outcome="token"\} [1-9]/);
    expect(text).toMatch(/fleetvault_brand_exchanges_total\{brand="smartcar",outcome="cached"\} [1-9]/);
    expect(text).toMatch(/fleetvault_brand_exchange_cache_hits_total\{brand="smartcar"\} [1-9]/);
    expect(text).toMatch(/fleetvault_brand_upstream_duration_seconds_count\{brand="smartcar",status_class="2xx"\} [1-9]/);
    expect(text).not.toContain('sc-secret');
  });
});

describe('the audit recorder is fail-closed (docs/design.md §2.6)', () => {
  it('a recorder that throws makes the exchange 503 service-unavailable and no token leaves', async () => {
    const y = await buildExchangeApp({
      appendEvent: async () => {
        throw new Error('audit database down');
      },
    });
    try {
      y.emulators.smartcar!.accounts.set('sc-audit', 'sc-secret');
      const body = { client_id: 'sc-audit', client_secret: 'sc-secret' };
      const id = (await y.t.call(y.token, 'POST', '/smartcar/credentials', body)).json().id;
      for (let i = 0; i < 2; i++) {
        const res = await y.exchange(id, 'smartcar');
        expectProblem(res, 'service-unavailable', 503);
        for (const token of y.emulators.smartcar!.issued) expect(res.body).not.toContain(token);
      }
      expect(y.emulators.smartcar!.calls).toBe(1);
    } finally {
      await y.close();
    }
  });
});
