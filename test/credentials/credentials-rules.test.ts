import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

const niu = (name: unknown, extra: Record<string, unknown> = {}) =>
  t.call(token, 'POST', '/niu/credentials', { ...(name !== undefined && { name }), client_id: 'c', client_secret: 's', ...extra });

const pointers = (problem: Record<string, unknown>) => (problem.errors as { pointer: string }[]).map((e) => e.pointer);

describe('names', () => {
  it('are optional: absent or null gives name null, and unnamed credentials never clash', async () => {
    const absent = await niu(undefined);
    const nul = await niu(null);
    const again = await t.call(token, 'POST', '/mercedes-benz/credentials', { name: null, client_id: 'c', client_secret: 's' });
    for (const res of [absent, nul, again]) {
      expect(res.statusCode).toBe(201);
      expect(res.json().name).toBeNull();
    }
  });

  it('are trimmed', async () => {
    const res = await niu('  \t Hamburg depot \n ');
    expect(res.statusCode).toBe(201);
    expect(res.json().name).toBe('Hamburg depot');
  });

  it('are stored in NFC, so a decomposed and a composed "é" are the same name', async () => {
    const decomposed = 'Cafe\u0301 fleet';
    const first = await niu(decomposed);
    expect(first.statusCode).toBe(201);
    expect(first.json().name).toBe('Caf\u00e9 fleet');
    expectProblem(await niu('caf\u00e9 FLEET'), 'name-already-exists', 409);
    const byName = await t.call(token, 'GET', `/credentials?name=${encodeURIComponent('CAFE\u0301 fleet')}`);
    expect(byName.json().items.map((i: { id: string }) => i.id)).toEqual([first.json().id]);
  });

  it('may have 100 code points but not 101 (astral characters count once)', async () => {
    expect((await niu('n'.repeat(100))).statusCode).toBe(201);
    expect((await niu('\u{1F697}'.repeat(100))).statusCode).toBe(201);
    const problem = expectProblem(await niu('m'.repeat(101)), 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: '/name', detail: expect.stringContaining('100') }]);
    const huge = expectProblem(await niu('m'.repeat(5000)), 'validation-failed', 422);
    expect(huge.errors).toEqual([{ pointer: '/name', detail: expect.stringContaining('100') }]);
    expectProblem(await niu('\u{1F695}'.repeat(101)), 'validation-failed', 422);
  });

  it.each([
    ['empty', ''],
    ['whitespace only', '   \t '],
    ['a control character inside', 'Berlin\u0007depot'],
    ['a newline inside', 'Berlin\ndepot'],
    ['a DEL character', 'Berlin\u007f'],
    ['a number', 42],
    ['an object', { de: 'Berlin' }],
  ])('%s is 422 at /name', async (_what, name) => {
    const problem = expectProblem(await niu(name), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/name']);
  });

  it('are unique per fleet case-insensitively, across brands: 409 name-already-exists', async () => {
    expect((await niu('Unique Name')).statusCode).toBe(201);
    const clash = await t.call(token, 'POST', '/mercedes-benz/credentials', {
      name: '  UNIQUE name ',
      client_id: 'c2',
      client_secret: 's2',
    });
    const problem = expectProblem(clash, 'name-already-exists', 409);
    expect(problem.detail).toContain('UNIQUE name');
    expect(clash.body).not.toContain('s2"');
  });

  it('may repeat in another fleet', async () => {
    expect((await niu('Shared across fleets')).statusCode).toBe(201);
    const other = await t.newFleet();
    const res = await t.call(other.token, 'POST', '/niu/credentials', { name: 'shared ACROSS fleets', client_id: 'c', client_secret: 's' });
    expect(res.statusCode).toBe(201);
  });
});

describe('openobd', () => {
  const body = (extra: Record<string, unknown> = {}) => ({ client_id: 'obd', cluster_id: '001', client_secret: 's', ...extra });

  it('accepts cluster 001 and 002 only, and defaults grpc_host to grpc.openobd.com', async () => {
    const { token: own } = await t.newFleet();
    const eu = await t.call(own, 'POST', '/openobd/credentials', body());
    expect(eu.json()).toMatchObject({ cluster_id: '001', grpc_host: 'grpc.openobd.com' });
    const us = await t.call(own, 'POST', '/openobd/credentials', body({ cluster_id: '002', grpc_host: 'grpc.us.example.com:443' }));
    expect(us.json()).toMatchObject({ cluster_id: '002', grpc_host: 'grpc.us.example.com:443' });
    for (const cluster_id of ['003', '1', 1, '']) {
      const problem = expectProblem(await t.call(own, 'POST', '/openobd/credentials', body({ cluster_id })), 'validation-failed', 422);
      expect(pointers(problem)).toEqual(['/cluster_id']);
    }
    const missing = expectProblem(
      await t.call(own, 'POST', '/openobd/credentials', { client_id: 'x', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(missing)).toEqual(['/cluster_id']);
    const badHost = expectProblem(
      await t.call(own, 'POST', '/openobd/credentials', body({ grpc_host: 'https://x y' })),
      'validation-failed',
      422,
    );
    expect(pointers(badHost)).toEqual(['/grpc_host']);
  });

  it('caps a fleet at 5 credentials: the 6th is 409 limit-exceeded, another fleet is unaffected', async () => {
    const { token: own } = await t.newFleet();
    for (let i = 0; i < 5; i++)
      expect((await t.call(own, 'POST', '/jifeline/credentials', body({ name: `obd ${i}` }))).statusCode).toBe(201);
    expectProblem(await t.call(own, 'POST', '/openobd/credentials', body({ name: 'obd 5' })), 'limit-exceeded', 409);
    expect((await t.call(own, 'GET', '/openobd/credentials')).json().items).toHaveLength(5);
    // Other brands are not capped by it.
    expect((await t.call(own, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' })).statusCode).toBe(201);
    const { token: other } = await t.newFleet();
    expect((await t.call(other, 'POST', '/openobd/credentials', body())).statusCode).toBe(201);
  });

  it('frees a slot when one is deleted', async () => {
    const { token: own } = await t.newFleet();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await t.call(own, 'POST', '/openobd/credentials', body())).json().id);
    expect((await t.call(own, 'DELETE', `/openobd/credentials/${ids[0]}`)).statusCode).toBe(204);
    expect((await t.call(own, 'POST', '/openobd/credentials', body())).statusCode).toBe(201);
  });
});

describe('segway region', () => {
  it.each([
    ['A1001', 'asia'],
    ['E2002', 'eu'],
    ['u3003', 'us'],
    ['C4004', 'cn'],
  ])('client_id %s gives region %s', async (client_id, region) => {
    const res = await t.call(token, 'POST', '/segway/credentials', { client_id, client_secret: 's' });
    expect(res.statusCode).toBe(201);
    expect(res.json().region).toBe(region);
  });

  it('accepts a region that agrees, or that cannot be derived', async () => {
    const agrees = await t.call(token, 'POST', '/segway/credentials', { client_id: 'E5', region: 'eu', client_secret: 's' });
    expect(agrees.json().region).toBe('eu');
    const given = await t.call(token, 'POST', '/segway/credentials', { client_id: 'X5', region: 'us', client_secret: 's' });
    expect(given.json().region).toBe('us');
  });

  it('is 422 at /region when absent and underivable, or contradicting the client_id', async () => {
    const underivable = expectProblem(
      await t.call(token, 'POST', '/segway/credentials', { client_id: 'Z1', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(underivable)).toEqual(['/region']);
    const contradicts = expectProblem(
      await t.call(token, 'POST', '/segway/credentials', { client_id: 'E1', region: 'us', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(contradicts.errors).toEqual([{ pointer: '/region', detail: expect.stringContaining('eu') }]);
    const unknown = expectProblem(
      await t.call(token, 'POST', '/segway/credentials', { client_id: 'E1', region: 'mars', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(unknown)).toEqual(['/region']);
  });
});

describe('high-mobility secrets', () => {
  const hm = (extra: Record<string, unknown>) =>
    t.call(token, 'POST', '/high-mobility/credentials', { client_id: 'hm', environment: 'production', ...extra });

  it('accepts a client_secret alone, or a private_key with its key_id', async () => {
    expect((await hm({ client_secret: 's' })).statusCode).toBe(201);
    expect((await hm({ private_key: p256, key_id: 'key-1' })).statusCode).toBe(201);
  });

  it.each([
    ['both', { client_secret: 's', private_key: p256, key_id: 'k' }, '/private_key'],
    ['neither', {}, '/client_secret'],
    ['a key without key_id', { private_key: p256 }, '/key_id'],
    ['a key_id without key', { client_secret: 's', key_id: 'k' }, '/key_id'],
  ])('%s is 422', async (_what, extra, pointer) => {
    const problem = expectProblem(await hm(extra), 'validation-failed', 422);
    expect(pointers(problem)).toEqual([pointer]);
  });

  it('needs a known environment', async () => {
    const problem = expectProblem(await hm({ environment: 'staging', client_secret: 's' }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/environment']);
  });
});

describe('other brands', () => {
  it('geotab defaults server to my.geotab.com and accepts another host', async () => {
    const base = { database: 'db1', username: 'u', password: 'p' };
    expect((await t.call(token, 'POST', '/geotab/credentials', base)).json().server).toBe('my.geotab.com');
    expect((await t.call(token, 'POST', '/geotab/credentials', { ...base, server: 'my3.geotab.com' })).json().server).toBe(
      'my3.geotab.com',
    );
    const problem = expectProblem(
      await t.call(token, 'POST', '/geotab/credentials', { ...base, server: 'https://my.geotab.com/' }),
      'validation-failed',
      422,
    );
    expect(pointers(problem)).toEqual(['/server']);
    const missing = expectProblem(
      await t.call(token, 'POST', '/geotab/credentials', { database: 'db1', password: 'p' }),
      'validation-failed',
      422,
    );
    expect(pointers(missing)).toEqual(['/username']);
  });

  it('samsara needs only api_token and refuses a client_id', async () => {
    const res = await t.call(token, 'POST', '/samsara/credentials', { api_token: 'tok' });
    expect(res.statusCode).toBe(201);
    expect(Object.keys(res.json()).sort()).toEqual(
      [
        'brand',
        'created_at',
        'id',
        'name',
        'secret_updated_at',
        'secret_version',
        'status',
        'status_checked_at',
        'updated_at',
        'vehicle_count',
      ].sort(),
    );
    const problem = expectProblem(
      await t.call(token, 'POST', '/samsara/credentials', { api_token: 'tok', client_id: 'c' }),
      'validation-failed',
      422,
    );
    expect(pointers(problem)).toEqual(['/client_id']);
  });

  it('tesla: private_key is optional, region is required and app_domain must be a domain', async () => {
    const res = await t.call(token, 'POST', '/tesla/credentials', { client_id: 'c', region: 'na', client_secret: 's' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).not.toHaveProperty('app_domain');
    const noRegion = expectProblem(
      await t.call(token, 'POST', '/tesla/credentials', { client_id: 'c', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(noRegion)).toEqual(['/region']);
    const badDomain = expectProblem(
      await t.call(token, 'POST', '/tesla/credentials', { client_id: 'c', region: 'eu', app_domain: 'not a domain', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(badDomain)).toEqual(['/app_domain']);
  });

  it('enode needs an environment', async () => {
    const problem = expectProblem(
      await t.call(token, 'POST', '/enode/credentials', { client_id: 'c', client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(pointers(problem)).toEqual(['/environment']);
  });
});
