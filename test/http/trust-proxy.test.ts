import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** Behind a load balancer, per-address limits must see the caller's address, not the balancer's. */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function tokenAttemptsFrom(app: TestApp, forwardedFor: string, count: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) {
    const res = await app.app.inject({
      method: 'POST',
      url: '/oauth/token',
      remoteAddress: '127.0.0.1',
      headers: { 'x-forwarded-for': forwardedFor },
      payload: { grant_type: 'client_credentials', client_id: `01HZZZZZZZZZZZZZZZZZZZZZ${i % 10}0`, client_secret: 'wrong' },
    });
    statuses.push(res.statusCode);
  }
  return statuses;
}

describe('FLEETVAULT_TRUST_PROXY', () => {
  it('with the balancer trusted, each forwarded caller has its own per-address token limit', async () => {
    t = await buildTestApp({ env: { FLEETVAULT_TRUST_PROXY: '127.0.0.1', FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '2' } });
    expect(await tokenAttemptsFrom(t, '203.0.113.5', 3)).toEqual([401, 401, 429]);
    expect(await tokenAttemptsFrom(t, '198.51.100.7', 1)).toEqual([401]);
  });

  it('by default (no proxy trusted), forwarded addresses are ignored: one shared limit', async () => {
    t = await buildTestApp({ env: { FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '2' } });
    expect(await tokenAttemptsFrom(t, '203.0.113.5', 2)).toEqual([401, 401]);
    expect(await tokenAttemptsFrom(t, '198.51.100.7', 1)).toEqual([429]);
  });
});
