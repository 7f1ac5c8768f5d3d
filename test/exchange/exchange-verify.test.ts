import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** Verify on write: `?verify=true` on POST and PATCH exchanges with the new secrets first. */
let x: ExchangeTestApp;
beforeAll(async () => {
  x = await buildExchangeApp();
  x.emulators.segway!.accounts.set('E7001', 'good-secret');
});
afterAll(() => x?.close());

const segway = () => x.emulators.segway!;
const post = (url: string, body: unknown) => x.t.call(x.token, 'POST', url, body);
const list = async () => (await x.t.call(x.token, 'GET', '/segway/credentials')).json().items as { id: string }[];

describe('?verify=true on POST', () => {
  it('a refused secret is 422 credentials-rejected-by-brand, stores nothing, and leaves a credential.verified failure event', async () => {
    const calls = segway().calls;
    const res = await post('/segway/credentials?verify=true', { name: 'refused', client_id: 'E7001', client_secret: 'bad-secret' });
    expect(expectProblem(res, 'credentials-rejected-by-brand', 422)).toMatchObject({ brand_status: 401, brand_error: 'invalid_client' });
    expect(res.body).not.toContain('bad-secret');
    expect(segway().calls).toBe(calls + 1);
    expect(await list()).toEqual([]);
    expect(x.events.at(-1)!.event).toEqual({
      action: 'credential.verified',
      outcome: 'failure',
      target: { type: 'credential', id: null, brand: 'segway' },
      details: { brand_status: 401, brand_error: 'invalid_client' },
    });
  });

  it('accepted secrets are stored with status authorized', async () => {
    const res = await post('/segway/credentials?verify=true', { name: 'verified', client_id: 'E7001', client_secret: 'good-secret' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ status: 'authorized', status_checked_at: expect.stringMatching(/Z$/) });
  });

  it('an unreachable brand is 502 brand-unavailable and stores nothing; without verify the brand is not called', async () => {
    segway().failures = { count: 3, status: 500 };
    const before = await list();
    const down = await post('/segway/credentials?verify=true', { name: 'down', client_id: 'E7001', client_secret: 'good-secret' });
    expectProblem(down, 'brand-unavailable', 502);
    expect(await list()).toEqual(before);
    const calls = segway().calls;
    const plain = await post('/segway/credentials?verify=false', { name: 'unverified', client_id: 'E7001', client_secret: 'bad-secret' });
    expect(plain.json()).toMatchObject({ status: 'unknown', status_checked_at: null });
    expect(segway().calls).toBe(calls);
  });

  it('a brand without an exchange cannot verify: 409 exchange-not-supported, nothing stored', async () => {
    expectProblem(await post('/niu/credentials?verify=true', { client_id: 'n', client_secret: 's' }), 'exchange-not-supported', 409);
    expect((await x.t.call(x.token, 'GET', '/niu/credentials')).json().items).toEqual([]);
  });
});

describe('?verify=true on PATCH', () => {
  it('a refused new secret is 422 and the credential keeps its version and secret', async () => {
    const created = (await post('/segway/credentials', { name: 'rotating', client_id: 'E7001', client_secret: 'good-secret' })).json();
    const res = await x.t.call(x.token, 'PATCH', `/segway/credentials/${created.id}?verify=true`, { client_secret: 'bad-new-secret' });
    expectProblem(res, 'credentials-rejected-by-brand', 422);
    expect(x.events.at(-1)!.event).toMatchObject({ action: 'credential.verified', outcome: 'failure', target: { id: created.id } });
    const after = (await x.t.call(x.token, 'GET', `/segway/credentials/${created.id}`)).json();
    expect(after).toEqual(created);
    // The stored secret still works: the exchange sends the old one.
    await x.exchange(created.id, 'segway');
    expect(new URLSearchParams(segway().requests.at(-1)!.body).get('client_secret')).toBe('good-secret');
  });

  it('an accepted new secret rotates and is marked authorized', async () => {
    segway().accounts.set('E7002', 'first');
    const created = (await post('/segway/credentials', { name: 'rotating 2', client_id: 'E7002', client_secret: 'first' })).json();
    segway().accounts.set('E7002', 'second');
    const res = await x.t.call(x.token, 'PATCH', `/segway/credentials/${created.id}?verify=true`, { client_secret: 'second' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ secret_version: 2, status: 'authorized' });
  });
});
