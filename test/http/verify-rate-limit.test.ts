import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/**
 * `?verify=true` calls the brand with the secrets given: without a limit of its own it would let a
 * client try brand passwords at the full per-client rate (docs/operations.md).
 */
let x: ExchangeTestApp;
beforeAll(async () => {
  x = await buildExchangeApp({ env: { FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE: '3' } });
  x.emulators.segway!.accounts.set('E7001', 'good-secret');
});
afterAll(() => x?.close());

const segway = () => x.emulators.segway!;

describe('FLEETVAULT_VERIFY_RATE_LIMIT_PER_MINUTE', () => {
  it('the 4th verifying write in a minute is 429 with Retry-After and does not reach the brand; plain writes go on', async () => {
    const { id } = (
      await x.t.call(x.token, 'POST', '/segway/credentials', { name: 'c', client_id: 'E7001', client_secret: 'good-secret' })
    ).json();
    const guesses = ['guess-1', 'guess-2', 'guess-3', 'guess-4'];
    const codes = [];
    for (const [i, guess] of guesses.entries()) {
      const res =
        i % 2 === 0
          ? await x.t.call(x.token, 'POST', '/segway/credentials?verify=true', { client_id: 'E7001', client_secret: guess })
          : await x.t.call(x.token, 'PATCH', `/segway/credentials/${id}?verify=true`, { client_secret: guess });
      codes.push(res.statusCode);
    }
    expect(codes).toEqual([422, 422, 422, 429]);
    const calls = segway().calls;
    const limited = await x.t.call(x.token, 'PATCH', `/segway/credentials/${id}?verify=true`, { client_secret: 'good-secret' });
    expectProblem(limited, 'too-many-requests', 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['x-ratelimit-limit']).toBe('3');
    expect(segway().calls).toBe(calls);
    // Writes that do not call the brand are not held back.
    expect((await x.t.call(x.token, 'PATCH', `/segway/credentials/${id}`, { client_secret: 'rotated' })).statusCode).toBe(200);
    expect((await x.t.call(x.token, 'POST', '/segway/credentials', { client_id: 'E7002', client_secret: 's' })).statusCode).toBe(201);
  });

  it('is per client: another client of the fleet can still verify', async () => {
    const other = await x.t.tokenFor(x.fleetId);
    const res = await x.t.call(other, 'POST', '/segway/credentials?verify=true', { client_id: 'E7001', client_secret: 'good-secret' });
    expect(res.statusCode, res.body).toBe(201);
  });
});
