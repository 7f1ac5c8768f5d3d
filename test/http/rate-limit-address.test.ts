import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/**
 * The per-address limit counts only requests that do not authenticate (docs/operations.md): a
 * busy backend or a NAT full of clients is governed by the per-client limits alone.
 */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const unauthenticated = (app: TestApp, remoteAddress = '127.0.0.1', url = '/credentials') =>
  app.app.inject({ method: 'GET', url, remoteAddress });

describe('per source address: only unauthenticated requests count', () => {
  it('an authenticated client goes past the per-address limit; unauthenticated requests from its address are refused', async () => {
    t = await buildTestApp({ env: { FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '3', FLEETVAULT_RATE_LIMIT_MAX: '20' } });
    const fleet = await t.newFleet(); // a token request that succeeds does not count
    const busy = [];
    for (let i = 0; i < 10; i++) busy.push((await t.call(fleet.token, 'GET', '/vehicles')).statusCode);
    expect(busy).toEqual(Array(10).fill(200));

    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await unauthenticated(t)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
    const limited = await unauthenticated(t);
    expectProblem(limited, 'too-many-requests', 429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-ratelimit-limit']).toBe('3');

    // Once over: a forged token, an unmatched path and a token request are refused too, before anything else.
    const forged = `${fleet.token.slice(0, -4)}AAAA`;
    expectProblem(await t.call(forged, 'GET', '/credentials'), 'too-many-requests', 429);
    expectProblem(await unauthenticated(t, '127.0.0.1', '/no-such-path'), 'too-many-requests', 429);
    const tokenRequest = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: fleet.clientSecret },
    });
    expect(tokenRequest.statusCode).toBe(429);
    // The authenticated client is still served from the same address, within its own limit.
    const served = await t.call(fleet.token, 'GET', '/vehicles');
    expect(served.statusCode).toBe(200);
    expect(served.headers['x-ratelimit-limit']).toBe('20');
    // Another address has its own budget.
    expect((await unauthenticated(t, '203.0.113.9')).statusCode).toBe(401);
  });

  it('counts unmatched paths, refused tokens and failed token requests; not successful token requests or a missing scope', async () => {
    t = await buildTestApp({ env: { FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '3' } });
    const fleet = await t.newFleet(['vehicles:read']);
    for (let i = 0; i < 4; i++) await t.tokenFor(fleet.fleetId, ['vehicles:read']);
    const scopeRefusals = [];
    for (let i = 0; i < 4; i++) scopeRefusals.push((await t.call(fleet.token, 'GET', '/credentials')).statusCode);
    expect(scopeRefusals).toEqual([403, 403, 403, 403]);

    const failedToken = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: 'wrong' },
    });
    expect(failedToken.statusCode).toBe(401);
    expect((await unauthenticated(t, '127.0.0.1', '/no-such-path')).statusCode).toBe(404);
    expect((await t.call(`${fleet.token.slice(0, -4)}AAAA`, 'GET', '/vehicles')).statusCode).toBe(401);
    expectProblem(await unauthenticated(t), 'too-many-requests', 429);
  });

  it('buckets IPv6 callers by their /64', async () => {
    t = await buildTestApp({ env: { FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '2' } });
    expect((await unauthenticated(t, '2001:db8:1:2::5')).statusCode).toBe(401);
    expect((await unauthenticated(t, '2001:db8:1:2::9')).statusCode).toBe(401);
    expect((await unauthenticated(t, '2001:db8:1:2:ffff::1')).statusCode).toBe(429);
    expect((await unauthenticated(t, '2001:db8:1:3::5')).statusCode).toBe(401);
  });
});
