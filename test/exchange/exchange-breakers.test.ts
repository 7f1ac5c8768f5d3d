import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** Circuit breakers per host and credential, and per host for outages several fleets see (docs/brands.md). */
let x: ExchangeTestApp;
let n = 0;
beforeEach(async () => {
  x = await buildExchangeApp();
});
afterEach(() => x?.close());

const smartcar = () => x.emulators.smartcar!;
const clientIdOf = (body: string) => new URLSearchParams(body).get('client_id');

/** A fleet of its own with one smartcar credential the emulator accepts. */
async function fleetCredential(token?: string): Promise<{ token: string; id: string; clientId: string }> {
  const fleetToken = token ?? (await x.t.newFleet()).token;
  const clientId = `sc-breaker-${++n}`;
  smartcar().accounts.set(clientId, 'sc-secret');
  const res = await x.t.call(fleetToken, 'POST', '/smartcar/credentials', { client_id: clientId, client_secret: 'sc-secret' });
  expect(res.statusCode, res.body).toBe(201);
  return { token: fleetToken, id: res.json().id, clientId };
}

const exchange = (c: { token: string; id: string }) => x.t.call(c.token, 'POST', `/smartcar/credentials/${c.id}/token`);

describe('circuit breakers', () => {
  it('a brand failing one fleet\u2019s credential opens that credential\u2019s breaker only: others still exchange', async () => {
    const a = await fleetCredential();
    // The brand rate-limits fleet A's own client (its quota, not the brand's health).
    smartcar().fault = (request) =>
      clientIdOf(request.body) === a.clientId
        ? { status: 429, body: { error: 'rate_limited' }, headers: { 'retry-after': '60' } }
        : undefined;
    for (let i = 0; i < 5; i++) expectProblem(await exchange(a), 'brand-unavailable', 503);
    const calls = smartcar().calls;
    const open = await exchange(a);
    expect(expectProblem(open, 'brand-unavailable', 503)).toMatchObject({
      retry_after: 30,
      detail: 'Exchanges with this credential failed repeatedly; the vault is not calling the brand for it for a while.',
    });
    expect(smartcar().calls).toBe(calls);

    const b = await fleetCredential();
    const other = await exchange(b);
    expect(other.statusCode, other.body).toBe(200);
    const aSecond = await fleetCredential(a.token);
    expect((await exchange(aSecond)).statusCode).toBe(200);
    expect(smartcar().calls).toBe(calls + 2);
  });

  it('failures from two fleets never open the host; from three fleets they do, for every fleet, until a probe succeeds', async () => {
    const [a, b, c, d] = [await fleetCredential(), await fleetCredential(), await fleetCredential(), await fleetCredential()];
    smartcar().failures = { count: 1000, status: 503 };
    for (let i = 0; i < 4; i++) {
      expectProblem(await exchange(a), 'brand-unavailable', 502);
      expectProblem(await exchange(b), 'brand-unavailable', 502);
    }
    // 8 failures, 2 fleets: the host stays closed, fleet C still reaches the brand.
    let calls = smartcar().calls;
    expectProblem(await exchange(c), 'brand-unavailable', 502);
    expect(smartcar().calls).toBe(calls + 3);

    // The third fleet's failure opened the host: fleet D, which never failed, is refused without a call.
    calls = smartcar().calls;
    const refused = await exchange(d);
    expect(expectProblem(refused, 'brand-unavailable', 503)).toMatchObject({
      retry_after: 30,
      detail: 'The brand failed repeatedly for several fleets; the vault is not calling it for a while.',
    });
    expect(refused.headers['retry-after']).toBe('30');
    expect(smartcar().calls).toBe(calls);

    smartcar().failures = { count: 0, status: 503 };
    x.clock.advance(30_000);
    const probe = await exchange(d);
    expect(probe.statusCode, probe.body).toBe(200);
    expect((await exchange(c)).statusCode).toBe(200);
  });
});
