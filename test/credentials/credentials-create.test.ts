import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const SECRET_FIELDS = ['client_secret', 'private_key', 'key_id', 'partner_api_key', 'password', 'api_token'];
const BRAND_SLUGS = ['niu', 'mercedes-benz', 'segway', 'tesla', 'high-mobility', 'openobd', 'smartcar', 'enode', 'geotab', 'samsara'];

const pem = (type: 'ec' | 'rsa', curve?: string) =>
  (type === 'ec'
    ? generateKeyPairSync('ec', { namedCurve: curve! })
    : generateKeyPairSync('rsa', { modulusLength: 2048 })
  ).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

const p256 = pem('ec', 'P-256');
const p256Sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }) as string;
const p384 = pem('ec', 'P-384');
const rsa = pem('rsa');

/** One realistic create body per brand, with the secrets each carries and the public fields expected back. */
const brandCases: { brand: string; body: Record<string, string>; secrets: string[]; expected: Record<string, string> }[] = [
  {
    brand: 'niu',
    body: { client_id: 'niu-client', client_secret: 'niu-secret-1' },
    secrets: ['niu-secret-1'],
    expected: { client_id: 'niu-client' },
  },
  {
    brand: 'mercedes-benz',
    body: { client_id: 'mb-7f3a', client_secret: 'mb-secret-value' },
    secrets: ['mb-secret-value'],
    expected: { client_id: 'mb-7f3a' },
  },
  {
    brand: 'segway',
    body: { client_id: 'E100234', client_secret: 'segway-secret-9' },
    secrets: ['segway-secret-9'],
    expected: { client_id: 'E100234', region: 'eu' },
  },
  {
    brand: 'tesla',
    body: { client_id: '3f1e8c2a-tesla', region: 'eu', app_domain: 'fleet.example.com', client_secret: 'ta-secret-xyz', private_key: p256 },
    secrets: ['ta-secret-xyz', p256.split('\n')[1]!],
    expected: { client_id: '3f1e8c2a-tesla', region: 'eu', app_domain: 'fleet.example.com' },
  },
  {
    brand: 'high-mobility',
    body: { client_id: 'hm-client-1', environment: 'sandbox', private_key: p256Sec1, key_id: 'hm-key-id-secretish' },
    secrets: [p256Sec1.split('\n')[1]!, 'hm-key-id-secretish'],
    expected: { client_id: 'hm-client-1', environment: 'sandbox' },
  },
  {
    brand: 'openobd',
    body: { client_id: 'obd-partner', cluster_id: '002', client_secret: 'obd-secret-42', partner_api_key: 'obd-legacy-key' },
    secrets: ['obd-secret-42', 'obd-legacy-key'],
    expected: { client_id: 'obd-partner', cluster_id: '002', grpc_host: 'grpc.openobd.com' },
  },
  {
    brand: 'smartcar',
    body: { client_id: 'sc-app-id', client_secret: 'smartcar-secret-5' },
    secrets: ['smartcar-secret-5'],
    expected: { client_id: 'sc-app-id' },
  },
  {
    brand: 'enode',
    body: { client_id: 'enode-client', environment: 'production', client_secret: 'enode-secret-7' },
    secrets: ['enode-secret-7'],
    expected: { client_id: 'enode-client', environment: 'production' },
  },
  {
    brand: 'geotab',
    body: { database: 'acme_fleet', username: 'api@acme.example', password: 'geotab-pass-3' },
    secrets: ['geotab-pass-3'],
    expected: { database: 'acme_fleet', username: 'api@acme.example', server: 'my.geotab.com' },
  },
  { brand: 'samsara', body: { api_token: 'samsara_api_token_8' }, secrets: ['samsara_api_token_8'], expected: {} },
];

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

function expectNoSecret(res: { body: string; headers: Record<string, unknown> }, secrets: string[]) {
  const headers = JSON.stringify(res.headers);
  for (const secret of secrets) {
    expect(res.body).not.toContain(secret);
    expect(headers).not.toContain(secret);
  }
}

describe('POST /{brand}/credentials: the INVERS example', () => {
  it('answers 201 with exactly the credential view, a Location and an ETag, and never the secret', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', niuExample);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(ULID),
      brand: 'niu',
      name: 'NIU fleet Berlin',
      client_id: 'client1',
      secret_version: 1,
      vehicle_count: 0,
      created_at: expect.stringMatching(ISO),
      updated_at: body.created_at,
      secret_updated_at: body.created_at,
      status: 'unknown',
      status_checked_at: null,
    });
    expect(res.headers.location).toBe(`/niu/credentials/${body.id}`);
    expect(res.headers.etag).toMatch(/^"[^"]+"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectNoSecret(res, ['supersecret']);

    const read = await t.call(token, 'GET', res.headers.location as string);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
    expect(read.headers.etag).toBe(res.headers.etag);
    expectNoSecret(read, ['supersecret']);
  });
});

describe('every brand', () => {
  it.each(brandCases)('$brand: a realistic body is stored and its view carries no secret', async ({ brand, body, secrets, expected }) => {
    const res = await t.call(token, 'POST', `/${brand}/credentials`, { name: `${brand} main account`, ...body });
    expect(res.statusCode, res.body).toBe(201);
    const view = res.json();
    expect(view).toEqual({
      id: expect.stringMatching(ULID),
      brand,
      name: `${brand} main account`,
      ...expected,
      secret_version: 1,
      vehicle_count: 0,
      created_at: expect.stringMatching(ISO),
      updated_at: view.created_at,
      secret_updated_at: view.created_at,
      status: 'unknown',
      status_checked_at: null,
    });
    for (const field of SECRET_FIELDS) expect(view).not.toHaveProperty(field);
    expectNoSecret(res, secrets);

    for (const url of [`/${brand}/credentials/${view.id}`, `/${brand}/credentials`, `/credentials?brand=${brand}`]) {
      const read = await t.call(token, 'GET', url);
      expect(read.statusCode).toBe(200);
      expectNoSecret(read, secrets);
      const items = url.endsWith(view.id) ? [read.json()] : read.json().items;
      for (const item of items) for (const field of SECRET_FIELDS) expect(item).not.toHaveProperty(field);
    }
  });

  it('covers all ten catalogue brands', async () => {
    expect(brandCases.map((c) => c.brand).sort()).toEqual([...BRAND_SLUGS].sort());
  });

  it.each([
    ['tesla', 'P-384', { client_id: 't1', region: 'na', client_secret: 's', private_key: p384 }],
    ['tesla', 'RSA', { client_id: 't2', region: 'na', client_secret: 's', private_key: rsa }],
    ['tesla', 'not a PEM', { client_id: 't3', region: 'na', client_secret: 's', private_key: 'MIIBhello' }],
    ['high-mobility', 'P-384', { client_id: 'h1', environment: 'sandbox', private_key: p384, key_id: 'k' }],
    ['high-mobility', 'RSA', { client_id: 'h2', environment: 'sandbox', private_key: rsa, key_id: 'k' }],
  ])('%s refuses a %s private key: 422 at /private_key', async (brand, _kind, body) => {
    const res = await t.call(token, 'POST', `/${brand}/credentials`, body);
    const problem = expectProblem(res, 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: '/private_key', detail: expect.stringContaining('P-256') }]);
    expect(res.body).not.toContain('PRIVATE KEY');
  });
});

describe('brand matching in the path', () => {
  it.each([
    ['NIU', 'niu'],
    ['niu', 'niu'],
    ['Niu', 'niu'],
    ['MERCEDES_BENZ', 'mercedes-benz'],
    ['mercedes-benz', 'mercedes-benz'],
    ['Mercedes_Benz', 'mercedes-benz'],
    ['HIGH_MOBILITY', 'high-mobility'],
    ['jifeline', 'openobd'],
    ['JIFELINE', 'openobd'],
  ])('%s answers with the canonical slug %s on every route', async (pathBrand, slug) => {
    const body =
      slug === 'openobd'
        ? { client_id: 'alias', cluster_id: '001', client_secret: 'x' }
        : slug === 'high-mobility'
          ? { client_id: 'alias', environment: 'sandbox', client_secret: 'x' }
          : { client_id: 'alias', client_secret: 'x' };
    const created = await t.call(token, 'POST', `/${pathBrand}/credentials`, body);
    expect(created.statusCode, created.body).toBe(201);
    const { id, brand } = created.json();
    expect(brand).toBe(slug);
    expect(created.headers.location).toBe(`/${slug}/credentials/${id}`);

    const one = await t.call(token, 'GET', `/${pathBrand}/credentials/${id}`);
    expect(one.json().brand).toBe(slug);
    const list = await t.call(token, 'GET', `/${pathBrand}/credentials`);
    expect(list.json().items.map((i: { id: string }) => i.id)).toContain(id);
    const across = await t.call(token, 'GET', `/credentials?brand=${pathBrand}&limit=200`);
    expect(across.json().items.every((i: { brand: string }) => i.brand === slug)).toBe(true);
    expect(across.json().items.map((i: { id: string }) => i.id)).toContain(id);

    const patched = await t.call(token, 'PATCH', `/${pathBrand}/credentials/${id}`, { client_secret: 'y' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().brand).toBe(slug);
    expect((await t.call(token, 'DELETE', `/${pathBrand}/credentials/${id}`)).statusCode).toBe(204);
  });

  it('an unknown brand is 404 unknown-brand listing the known slugs, on every route', async () => {
    const id = (await t.call(token, 'POST', '/niu/credentials', { client_id: 'known', client_secret: 'x' })).json().id;
    const calls: [string, string, unknown?][] = [
      ['POST', '/volkswagen/credentials', { client_id: 'a', client_secret: 'b' }],
      ['GET', '/volkswagen/credentials'],
      ['GET', `/volkswagen/credentials/${id}`],
      ['PATCH', `/volkswagen/credentials/${id}`, { client_secret: 'b' }],
      ['DELETE', `/volkswagen/credentials/${id}`],
      ['GET', '/credentials?brand=volkswagen'],
      ['GET', '/niu_x/credentials'],
    ];
    for (const [method, url, body] of calls) {
      const problem = expectProblem(await t.call(token, method, url, body), 'unknown-brand', 404);
      for (const slug of BRAND_SLUGS) expect(problem.detail).toContain(slug);
    }
    expect((await t.call(token, 'GET', `/niu/credentials/${id}`)).statusCode).toBe(200);
  });
});

describe('strict bodies', () => {
  it('an unknown field is 422 naming it, and nothing is stored', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', { name: 'typo', client_id: 'c', client_secret: 's', clientSecret: 's' });
    const problem = expectProblem(res, 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: '/clientSecret', detail: expect.any(String) }]);
    const list = await t.call(token, 'GET', '/niu/credentials?name=typo');
    expect(list.json().items).toEqual([]);
  });

  it('view-only fields are refused like any unknown field', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', {
      id: '01ARZ3NDEKTSV4RRFFQ69G5FAV',
      secret_version: 9,
      client_id: 'c',
      client_secret: 's',
    });
    const problem = expectProblem(res, 'validation-failed', 422);
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual(['/id', '/secret_version']);
  });

  it.each([
    ['client_id', { client_secret: 's' }],
    ['client_secret', { client_id: 'c' }],
  ])('a missing %s is 422 pointing at it', async (field, body) => {
    const problem = expectProblem(await t.call(token, 'POST', '/niu/credentials', body), 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: `/${field}`, detail: 'is required' }]);
  });

  it('lists every problem at once', async () => {
    const problem = expectProblem(await t.call(token, 'POST', '/niu/credentials', { name: '', extra: 1 }), 'validation-failed', 422);
    expect((problem.errors as { pointer: string }[]).map((e) => e.pointer).sort()).toEqual([
      '/client_id',
      '/client_secret',
      '/extra',
      '/name',
    ]);
  });

  it.each([
    ['/client_id', { client_id: 42, client_secret: 's' }],
    ['/client_secret', { client_id: 'c', client_secret: 42 }],
    ['/client_secret', { client_id: 'c', client_secret: null }],
    ['/client_secret', { client_id: 'c', client_secret: '' }],
    ['/client_id', { client_id: ['c'], client_secret: 's' }],
    ['/name', { name: 7, client_id: 'c', client_secret: 's' }],
    ['/client_id', { client_id: '   ', client_secret: 's' }],
    ['/client_id', { client_id: 'a\u0000b', client_secret: 's' }],
  ])('a wrong type or empty value is 422 at %s, not reported as missing', async (pointer, body) => {
    const problem = expectProblem(await t.call(token, 'POST', '/niu/credentials', body), 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer, detail: expect.not.stringMatching(/^is required$/) }]);
  });

  it.each([
    ['an array', [{ client_id: 'c', client_secret: 's' }]],
    ['a string', 'client1'],
    ['null', null],
  ])('a body that is %s is 422', async (_what, body) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/niu/credentials',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expectProblem(res, 'validation-failed', 422);
  });

  it('enforces maximum lengths: identity 256, secret 8 KiB, PEM 16 KiB', async () => {
    const ok = await t.call(token, 'POST', '/niu/credentials', { client_id: 'i'.repeat(256), client_secret: 's'.repeat(8192) });
    expect(ok.statusCode).toBe(201);
    const longId = expectProblem(
      await t.call(token, 'POST', '/niu/credentials', { client_id: 'i'.repeat(257), client_secret: 's' }),
      'validation-failed',
      422,
    );
    expect(longId.errors).toEqual([{ pointer: '/client_id', detail: expect.any(String) }]);
    const longSecret = expectProblem(
      await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's'.repeat(8193) }),
      'validation-failed',
      422,
    );
    expect(longSecret.errors).toEqual([{ pointer: '/client_secret', detail: expect.any(String) }]);
    const bigPem = p256.replace('-----END', `${'A'.repeat(16_384)}\n-----END`);
    const longPem = expectProblem(
      await t.call(token, 'POST', '/tesla/credentials', { client_id: 'c', region: 'eu', client_secret: 's', private_key: bigPem }),
      'validation-failed',
      422,
    );
    expect(longPem.errors).toEqual([{ pointer: '/private_key', detail: expect.any(String) }]);
  });

  it('measures the secret limit in UTF-8 bytes, not characters', async () => {
    expect((await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: '\u00e9'.repeat(4096) })).statusCode).toBe(
      201,
    );
    const problem = expectProblem(
      await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: '\u00e9'.repeat(4097) }),
      'validation-failed',
      422,
    );
    expect(problem.errors).toEqual([{ pointer: '/client_secret', detail: expect.stringContaining('8 KiB') }]);
  });

  it('keeps secrets byte for byte but trims identity fields', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', { client_id: '  spaced-id  ', client_secret: '  secret with spaces  ' });
    expect(res.statusCode).toBe(201);
    expect(res.json().client_id).toBe('spaced-id');
  });
});
