import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** The counters in a real Redis: named `<prefix><class>:<key>`, shared by replicas. */
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(redisUrl, { lazyConnect: true });
const apps: TestApp[] = [];
let prefix = '';

afterEach(async () => {
  const started = apps.splice(0);
  for (const t of [...started].reverse()) await t.close({ keepData: t !== started[0] });
  const keys = await keysUnder(prefix);
  if (keys.length > 0) await redis.del(...keys);
});
afterAll(async () => {
  await redis.quit();
});

async function keysUnder(keyPrefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

async function replicas(env: Record<string, string>, count: number) {
  prefix = `fleetvault-test:${randomUUID()}:rl:`;
  const full = { REDIS_URL: redisUrl, FLEETVAULT_RATE_LIMIT_REDIS_PREFIX: prefix, ...env };
  const first = await buildTestApp({ env: full });
  apps.push(first);
  for (let i = 1; i < count; i++) apps.push(await buildTestApp({ env: full, reuse: first, masterKeys: first.masterKeys }));
  return apps;
}

describe('rate-limit counters in Redis', () => {
  it('are named <prefix><class>:<key>, one per limit class', async () => {
    const [t] = await replicas({}, 1);
    const fleet = await t!.newFleet(); // token-address and token-client
    expect((await t!.call(fleet.token, 'GET', '/vehicles')).statusCode).toBe(200); // client
    expect((await t!.app.inject({ method: 'GET', url: '/vehicles', remoteAddress: '2001:db8:1:2::5' })).statusCode).toBe(401); // address
    expect(await keysUnder(prefix)).toEqual([
      `${prefix}address:2001:db8:1:2::/64`,
      `${prefix}client:${fleet.clientId}`,
      `${prefix}token-address:127.0.0.1`,
      `${prefix}token-client:${fleet.clientId}`,
    ]);
    const ttl = await redis.pttl(`${prefix}client:${fleet.clientId}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('an unreachable Redis fails open: requests over the limit are answered, not refused', async () => {
    // Nothing listens on port 1: each count fails once ioredis gives up on the command, and the request goes on uncounted.
    const t = await buildTestApp({ env: { REDIS_URL: 'redis://127.0.0.1:1', FLEETVAULT_RATE_LIMIT_MAX: '1' } });
    apps.push(t);
    const fleet = await t.newFleet();
    for (let i = 0; i < 2; i++) expect((await t.call(fleet.token, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/vehicles' })).statusCode).toBe(401);
  });

  it('one address\u2019s unauthenticated budget is shared by replicas', async () => {
    const [first, second] = await replicas({ FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '2' }, 2);
    const codes = [];
    for (const replica of [first!, second!, first!, second!]) {
      codes.push((await replica.app.inject({ method: 'GET', url: '/vehicles' })).statusCode);
    }
    expect(codes).toEqual([401, 401, 429, 429]);
    expect(await redis.get(`${prefix}address:127.0.0.1`)).toBe('2');
  });
});
