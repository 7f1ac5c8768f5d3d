import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { retirementOf } from '../../src/tokens/signing-keys.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/**
 * Verified access tokens are remembered by their text (src/tokens/signing-keys.ts, docs/performance.md): the cache
 * must never outlive what a fresh verification would accept. A token that has expired, or whose signing key has
 * left the JWKS, is refused even though it verified (and was remembered) before.
 */
const TTL_SECONDS = 60;
let now = Date.now();
const clock = { now: () => new Date(now) };
let app: TestApp;

beforeAll(async () => {
  app = await buildTestApp({ clock, env: { FLEETVAULT_TOKEN_TTL_SECONDS: String(TTL_SECONDS) } });
});
afterAll(async () => {
  await app?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('the verified-token cache', () => {
  it('refuses a remembered token once it has expired', async () => {
    const fleet = await app.newFleet();
    expect((await app.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    expect((await app.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    // The verifier's clock (Date.now, as fast-jwt's) moves past the token's exp.
    vi.useFakeTimers({ toFake: ['Date'], now: now + (TTL_SECONDS + 1) * 1000 });
    const res = await app.call(fleet.token, 'GET', '/credentials');
    expect(expectProblem(res, 'invalid-token', 401).detail).toBe('The access token has expired.');
  });

  it('refuses a remembered token at once when a refresh drops its signing key', async () => {
    const fleet = await app.newFleet();
    expect((await app.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    await app.deps.services.keys.rotateSigning(cliFleetlessContext);
    // Past the old key's retirement (on the injected clock, which the key lifecycle reads): the refresh drops it.
    now = retirementOf(new Date(now)).getTime() + 1000;
    await app.deps.signingKeys.refresh();
    expectProblem(await app.call(fleet.token, 'GET', '/credentials'), 'invalid-token', 401);
  });

  it('never answers a token that differs from a remembered one by a character', async () => {
    const fleet = await app.newFleet();
    expect((await app.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
    // The signature's first character: every bit of it is significant.
    const at = fleet.token.lastIndexOf('.') + 1;
    const changed = fleet.token.slice(0, at) + (fleet.token[at] === 'A' ? 'B' : 'A') + fleet.token.slice(at + 1);
    expectProblem(await app.call(changed, 'GET', '/credentials'), 'invalid-token', 401);
  });
});
