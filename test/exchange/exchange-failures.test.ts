import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** Failures: timeout, retries, 429, breaker, redirects and a brand echoing the secret. */
let x: ExchangeTestApp;
let n = 0;
beforeEach(async () => {
  x = await buildExchangeApp({ env: { FLEETVAULT_BRAND_TIMEOUT_MS: '300' } });
});
afterEach(() => x?.close());

const smartcar = () => x.emulators.smartcar!;

async function credential(secret = 'sc-secret', accepted = secret): Promise<string> {
  const clientId = `sc-${++n}`;
  smartcar().accounts.set(clientId, accepted);
  const res = await x.t.call(x.token, 'POST', '/smartcar/credentials', { client_id: clientId, client_secret: secret });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

const statusOf = async (id: string) => (await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json().status;

describe('failures (docs/design.md §2.9)', () => {
  it('a brand slower than FLEETVAULT_BRAND_TIMEOUT_MS is 504 brand-timeout, not retried; status unreachable', async () => {
    const id = await credential();
    smartcar().delayMs = 2000;
    expectProblem(await x.exchange(id, 'smartcar'), 'brand-timeout', 504);
    expect(smartcar().calls).toBe(1);
    expect(await statusOf(id)).toBe('unreachable');
    const details = { cached: false, brand_status: null };
    expect(x.events.at(-1)!.event).toMatchObject({ action: 'credential.exchanged', outcome: 'failure', details });
  });

  it('5xx is retried twice with jittered exponential backoff, then 502 brand-unavailable with the brand status', async () => {
    const id = await credential();
    smartcar().failures = { count: 10, status: 503 };
    const problem = expectProblem(await x.exchange(id, 'smartcar'), 'brand-unavailable', 502);
    expect(problem.brand_status).toBe(503);
    expect(smartcar().calls).toBe(3);
    expect(x.sleeps).toHaveLength(2);
    expect(x.sleeps[0]).toBeGreaterThanOrEqual(100);
    expect(x.sleeps[0]).toBeLessThan(200);
    expect(x.sleeps[1]).toBeGreaterThanOrEqual(200);
    expect(x.sleeps[1]).toBeLessThan(400);
  });

  it('a 5xx that clears within the retries still answers the token', async () => {
    const id = await credential();
    smartcar().failures = { count: 2, status: 500 };
    const res = await x.exchange(id, 'smartcar');
    expect(res.statusCode, res.body).toBe(200);
    expect(smartcar().calls).toBe(3);
  });

  it('429 with Retry-After: 1 waits exactly that long, then succeeds', async () => {
    const id = await credential();
    smartcar().rateLimit = { count: 1, retryAfter: '1' };
    const res = await x.exchange(id, 'smartcar');
    expect(res.statusCode, res.body).toBe(200);
    expect(x.sleeps).toEqual([1000]);
    expect(smartcar().calls).toBe(2);
  });

  it('429 with a Retry-After over 5 s is not waited for: 503 brand-unavailable passing the Retry-After on', async () => {
    const id = await credential();
    smartcar().rateLimit = { count: 5, retryAfter: '30' };
    const res = await x.exchange(id, 'smartcar');
    expect(expectProblem(res, 'brand-unavailable', 503)).toMatchObject({ brand_status: 429, retry_after: 30 });
    expect(res.headers['retry-after']).toBe('30');
    expect(smartcar().calls).toBe(1);
    expect(x.sleeps).toEqual([]);
  });

  it('other 4xx are never retried', async () => {
    const id = await credential('wrong', 'right');
    expectProblem(await x.exchange(id, 'smartcar'), 'brand-rejected-credentials', 409);
    expect(smartcar().calls).toBe(1);
    expect(x.sleeps).toEqual([]);
  });

  it('a redirect is not followed: 502 brand-unavailable after one request', async () => {
    const id = await credential();
    smartcar().failures = { count: 1, status: 302 };
    expect(expectProblem(await x.exchange(id, 'smartcar'), 'brand-unavailable', 502).brand_status).toBe(302);
    expect(smartcar().calls).toBe(1);
  });

  it('5 failed exchanges of a credential open its breaker: 503 with Retry-After, no request; after 30 s one probe closes it', async () => {
    const id = await credential();
    smartcar().failures = { count: 15, status: 500 };
    for (let i = 0; i < 5; i++) expectProblem(await x.exchange(id, 'smartcar'), 'brand-unavailable', 502);
    expect(smartcar().calls).toBe(15);
    const open = await x.exchange(id, 'smartcar');
    expect(expectProblem(open, 'brand-unavailable', 503).retry_after).toBe(30);
    expect(open.headers['retry-after']).toBe('30');
    expect(smartcar().calls).toBe(15);
    x.clock.advance(10_000);
    expect((await x.exchange(id, 'smartcar')).headers['retry-after']).toBe('20');
    x.clock.advance(20_000);
    // Half-open: the probe goes through and, succeeding, closes the breaker.
    const probe = await x.exchange(id, 'smartcar');
    expect(probe.statusCode, probe.body).toBe(200);
    expect(smartcar().calls).toBe(16);
    const other = await credential();
    expect((await x.exchange(other, 'smartcar')).statusCode).toBe(200);
  });

  it('a failing half-open probe opens the breaker again for 30 s', async () => {
    const id = await credential();
    smartcar().failures = { count: 100, status: 502 };
    for (let i = 0; i < 5; i++) await x.exchange(id, 'smartcar');
    x.clock.advance(30_000);
    expectProblem(await x.exchange(id, 'smartcar'), 'brand-unavailable', 502);
    const calls = smartcar().calls;
    const reopened = await x.exchange(id, 'smartcar');
    expect(expectProblem(reopened, 'brand-unavailable', 503).retry_after).toBe(30);
    expect(smartcar().calls).toBe(calls);
  });

  it('a brand that echoes the secret in its error body: the code may show, the secret never does (response, logs, audit)', async () => {
    const leaked = 'leaky-secret-7f3a91c2';
    const id = await credential(leaked, 'the-right-one');
    smartcar().echoSecret = true;
    const res = await x.exchange(id, 'smartcar');
    expect(expectProblem(res, 'brand-rejected-credentials', 409)).toMatchObject({ brand_status: 401, brand_error: 'invalid_client' });
    expect(smartcar().requests.length).toBe(1);
    // The emulator did echo it, so the check below is not vacuous.
    expect(JSON.stringify(smartcar().requests)).toContain(leaked);
    expect(res.body).not.toContain(leaked);
    expect(x.logLines.length).toBeGreaterThan(0);
    expect(x.logLines.join('\n')).not.toContain(leaked);
    expect(JSON.stringify(x.events)).not.toContain(leaked);

    x.emulators.geotab!.echoSecret = true;
    const geotab = await x.t.call(x.token, 'POST', '/geotab/credentials', { database: 'db', username: 'u', password: leaked });
    const answer = await x.exchange(geotab.json().id, 'geotab');
    expect(expectProblem(answer, 'brand-rejected-credentials', 409).brand_error).toBe('InvalidUserException');
    expect(answer.body).not.toContain(leaked);
    expect(x.logLines.join('\n')).not.toContain(leaked);
  });
});
