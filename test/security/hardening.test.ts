import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES, CONNECTION_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

describe('security headers', () => {
  let t: TestApp;
  let token: string;
  let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
  beforeAll(async () => {
    t = await buildTestApp();
    fleet = await t.newFleet();
    token = fleet.token;
  });
  afterAll(() => t.close());

  it('sends Cache-Control: no-store and X-Content-Type-Options: nosniff on every kind of response', async () => {
    const created = await t.call(token, 'POST', '/niu/credentials', niuExample);
    const responses = {
      created,
      read: await t.call(token, 'GET', `/niu/credentials/${created.json().id}`),
      list: await t.call(token, 'GET', '/credentials'),
      token: await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: fleet.clientSecret },
      }),
      tokenRefused: await t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: 'no' },
      }),
      unauthenticated: await t.app.inject({ method: 'GET', url: '/credentials' }),
      notFound: await t.app.inject({ method: 'GET', url: '/nothing/here/at/all' }),
      tooLarge: await t.call(token, 'POST', '/niu/credentials', { client_id: 'x', client_secret: 'y'.repeat(BODY_LIMIT_BYTES) }),
      wrongMediaType: await t.call(token, 'POST', '/niu/credentials', 'x', { 'content-type': 'text/plain' }),
      brands: await t.app.inject({ method: 'GET', url: '/brands' }),
      health: await t.app.inject({ method: 'GET', url: '/healthz' }),
      metrics: await t.app.inject({ method: 'GET', url: '/metrics' }),
      spec: await t.app.inject({ method: 'GET', url: '/openapi.yaml' }),
      docs: await t.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' }),
    };
    for (const [what, res] of Object.entries(responses)) {
      expect(res.headers['cache-control'], what).toBe('no-store');
      expect(res.headers['x-content-type-options'], what).toBe('nosniff');
    }
    expect(responses.tooLarge.statusCode).toBe(413);
    expect(responses.docs.statusCode).toBe(200);
  });

  it('sends no CORS headers when FLEETVAULT_CORS_ORIGINS is not set', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/credentials',
      headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(404);
    const get = await t.call(token, 'GET', '/credentials', undefined, { origin: 'https://ops.example.com' });
    expect(get.statusCode).toBe(200);
    for (const res of [preflight, get]) {
      expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('has deliberate body limit and timeouts', () => {
    expect(t.app.initialConfig).toMatchObject({
      bodyLimit: 65_536,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
    });
    expect(CONNECTION_TIMEOUT_MS).toBeGreaterThan(KEEP_ALIVE_TIMEOUT_MS);
  });
});

describe('CORS with FLEETVAULT_CORS_ORIGINS', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await buildTestApp({ env: { FLEETVAULT_CORS_ORIGINS: 'https://ops.example.com, http://localhost:3000' } });
    token = (await t.newFleet()).token;
  });
  afterAll(() => t.close());

  it('answers a listed origin\u2019s preflight and exposes the API headers to it', async () => {
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/niu/credentials',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('PATCH');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();

    const created = await t.call(token, 'POST', '/niu/credentials', niuExample, { origin: 'https://ops.example.com' });
    expect(created.statusCode).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    expect(String(created.headers['access-control-expose-headers'])).toContain('location');
  });

  it('gives an unlisted origin nothing', async () => {
    const res = await t.call(token, 'GET', '/credentials', undefined, { origin: 'https://evil.example.net' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses to start with a value that is not a list of origins, naming the variable', () => {
    for (const bad of ['*', 'https://ops.example.com/path', 'ops.example.com']) {
      expect(() => loadConfig({ FLEETVAULT_CORS_ORIGINS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ FLEETVAULT_CORS_ORIGINS: bad })).toThrow(/FLEETVAULT_CORS_ORIGINS/);
    }
    expect(loadConfig({}).corsOrigins).toEqual([]);
  });
});
