import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes } from '../../src/core/scopes.js';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** Each brand's documented token request, sent by the vault to its emulator. */
let x: ExchangeTestApp;
beforeAll(async () => {
  x = await buildExchangeApp();
});
afterAll(() => x?.close());

async function store(brand: string, body: Record<string, unknown>): Promise<string> {
  const res = await x.t.call(x.token, 'POST', `/${brand}/credentials`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const lastForm = (brand: string) => new URLSearchParams(x.emulators[brand]!.requests.at(-1)!.body);

describe('each brand, as documented', () => {
  it('segway: form client_id, client_secret, grant_type at /oauth/token; the token and its lifetime come back', async () => {
    x.emulators.segway!.accounts.set('E1001', 'segway-secret-1');
    const id = await store('segway', { client_id: 'E1001', client_secret: 'segway-secret-1' });
    const res = await x.exchange(id, 'segway');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      access_token: x.emulators.segway!.issued.at(-1),
      token_type: 'bearer',
      expires_at: expect.stringMatching(/Z$/),
      expires_in: expect.any(Number),
      scope: 'read write trust',
      secret_version: 1,
      cached: false,
    });
    expect(res.json().expires_in).toBeGreaterThan(43_190);
    expect(res.headers['cache-control']).toBe('no-store');
    const form = { client_id: 'E1001', client_secret: 'segway-secret-1', grant_type: 'client_credentials' };
    expect(Object.fromEntries(lastForm('segway'))).toEqual(form);
  });

  it('tesla: the region\u2019s Fleet API base as audience and the caller\u2019s scope', async () => {
    x.emulators.tesla!.accounts.set('tesla-app', 'tesla-secret-1');
    const id = await store('tesla', { client_id: 'tesla-app', region: 'eu', client_secret: 'tesla-secret-1' });
    const res = await x.exchange(id, 'tesla', { scope: 'openid vehicle_device_data' });
    expect(res.statusCode, res.body).toBe(200);
    const token = x.emulators.tesla!.issued.at(-1);
    expect(res.json()).toMatchObject({ access_token: token, scope: 'openid vehicle_device_data', cached: false });
    expect(Object.fromEntries(lastForm('tesla'))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'tesla-app',
      client_secret: 'tesla-secret-1',
      audience: 'https://fleet-api.prd.eu.vn.cloud.tesla.com',
      scope: 'openid vehicle_device_data',
    });
  });

  it('high-mobility with a client secret', async () => {
    x.emulators['high-mobility']!.accounts.set('hm-client-1', 'hm-secret-1');
    const id = await store('high-mobility', { client_id: 'hm-client-1', environment: 'sandbox', client_secret: 'hm-secret-1' });
    const res = await x.exchange(id, 'high-mobility');
    expect(res.statusCode, res.body).toBe(200);
    const token = x.emulators['high-mobility']!.issued.at(-1);
    expect(res.json()).toMatchObject({ access_token: token, token_type: 'bearer', expires_in: expect.any(Number) });
    expect(res.json().expires_in).toBeLessThanOrEqual(300);
  });

  it('high-mobility with a private key: an ES256 assertion signed in the vault, accepted once (single-use jti)', async () => {
    const hm = x.emulators['high-mobility']!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    hm.accounts.set('hm-client-2', 'unused');
    hm.keys.set('hm-key-2', publicKey);
    const id = await store('high-mobility', {
      client_id: 'hm-client-2',
      environment: 'sandbox',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      key_id: 'hm-key-2',
    });
    const res = await x.exchange(id, 'high-mobility');
    expect(res.statusCode, res.body).toBe(200);
    const sent = lastForm('high-mobility');
    expect(sent.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(sent.has('client_secret')).toBe(false);
    const parts = sent.get('client_assertion')!.split('.').slice(0, 2);
    const [header, claims] = parts.map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT' });
    expect(claims).toEqual({
      iss: 'hm-key-2',
      aud: 'https://sandbox.api.high-mobility.com/v1',
      iat: expect.any(Number),
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ver: 2,
    });
    // The emulator refuses the same assertion a second time, as HM does.
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    const replay = await fetch(`${hm.url}/v1/access_tokens`, { method: 'POST', headers, body: sent.toString() });
    expect(replay.status).toBe(401);
    // Past the cache window, the vault signs a fresh assertion (new jti) and the brand accepts it.
    x.clock.advance(300_000);
    const again = await x.exchange(id, 'high-mobility');
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json().cached).toBe(false);
    expect(lastForm('high-mobility').get('client_assertion')).not.toBe(sent.get('client_assertion'));
  });

  it.each(['openobd', 'smartcar'])('%s: form client credentials at /oauth2/token', async (brand) => {
    x.emulators[brand]!.accounts.set(`${brand}-client`, `${brand}-secret`);
    const body = brand === 'openobd' ? { cluster_id: '001' } : {};
    const id = await store(brand, { client_id: `${brand}-client`, client_secret: `${brand}-secret`, ...body });
    const res = await x.exchange(id, brand);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ access_token: x.emulators[brand]!.issued.at(-1), token_type: 'Bearer', cached: false });
    const form = { grant_type: 'client_credentials', client_id: `${brand}-client`, client_secret: `${brand}-secret` };
    expect(Object.fromEntries(lastForm(brand))).toEqual(form);
  });

  it('enode: HTTP Basic client authentication, no secret in the body', async () => {
    x.emulators.enode!.accounts.set('enode-client', 'enode secret:1');
    const id = await store('enode', { client_id: 'enode-client', environment: 'sandbox', client_secret: 'enode secret:1' });
    const res = await x.exchange(id, 'enode');
    expect(res.statusCode, res.body).toBe(200);
    const request = x.emulators.enode!.requests.at(-1)!;
    expect(request.headers.authorization).toMatch(/^Basic /);
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({ grant_type: 'client_credentials' });
  });

  it('geotab: JSON-RPC Authenticate; the session id is the token, with database, user_name, server and path', async () => {
    x.emulators.geotab!.accounts.set('acme/api@acme.example', 'geo-pass');
    const id = await store('geotab', { database: 'acme', username: 'api@acme.example', server: 'my3.geotab.com', password: 'geo-pass' });
    const res = await x.exchange(id, 'geotab');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      access_token: x.emulators.geotab!.issued.at(-1),
      database: 'acme',
      user_name: 'api@acme.example',
      server: 'my3.geotab.com',
      path: 'ThisServer',
      cached: false,
    });
    expect(JSON.parse(x.emulators.geotab!.requests.at(-1)!.body)).toEqual({
      method: 'Authenticate',
      params: { database: 'acme', userName: 'api@acme.example', password: 'geo-pass' },
    });
  });
});

describe('refusals', () => {
  it.each([
    ['segway', { client_id: 'E2002', client_secret: 'wrong' }, 401, 'invalid_client'],
    ['openobd', { client_id: 'nobody', cluster_id: '001', client_secret: 'wrong' }, 400, 'invalid_client'],
    ['geotab', { database: 'acme', username: 'nobody', password: 'wrong' }, 200, 'InvalidUserException'],
  ] as const)('%s: a refused secret is 409 brand-rejected-credentials with its status and code', async (brand, body, status, code) => {
    const id = await store(brand, body);
    const problem = expectProblem(await x.exchange(id, brand), 'brand-rejected-credentials', 409);
    expect(problem).toMatchObject({ brand_status: status, brand_error: code });
    const view = (await x.t.call(x.token, 'GET', `/${brand}/credentials/${id}`)).json();
    expect(view).toMatchObject({ status: 'rejected', status_checked_at: expect.stringMatching(/Z$/) });
  });

  it.each([
    ['niu', { client_id: 'n1', client_secret: 's' }],
    ['mercedes-benz', { client_id: 'm1', client_secret: 's' }],
    ['samsara', { api_token: 'samsara-token' }],
  ])('%s: 409 exchange-not-supported', async (brand, body) => {
    const id = await store(brand, body);
    expectProblem(await x.exchange(id, brand), 'exchange-not-supported', 409);
  });

  it('a scope for a brand that takes none is 422; an unknown id or another fleet\u2019s credential is 404', async () => {
    x.emulators.smartcar!.accounts.set('sc-2', 'sc-secret');
    const id = await store('smartcar', { client_id: 'sc-2', client_secret: 'sc-secret' });
    expect(expectProblem(await x.exchange(id, 'smartcar', { scope: 'read' }), 'validation-failed', 422).errors).toEqual([
      { pointer: '/scope', detail: expect.stringContaining('takes no scope') },
    ]);
    expectProblem(await x.exchange('01J00000000000000000000000', 'smartcar'), 'not-found', 404);
    const other = await x.t.newFleet();
    expectProblem(await x.t.call(other.token, 'POST', `/smartcar/credentials/${id}/token`), 'not-found', 404);
    expectProblem(await x.exchange(id, 'smartcar', { scope: 'a"b' }), 'validation-failed', 422);
  });

  it('credentials:exchange is granted only by name: every other scope together is 403', async () => {
    x.emulators.smartcar!.accounts.set('sc-3', 'sc-secret');
    const id = await store('smartcar', { client_id: 'sc-3', client_secret: 'sc-secret' });
    const others = await x.t.tokenFor(
      x.fleetId,
      allScopes.filter((s) => s !== 'credentials:exchange'),
    );
    expectProblem(await x.t.call(others, 'POST', `/smartcar/credentials/${id}/token`), 'insufficient-scope', 403);
    const only = await x.t.tokenFor(x.fleetId, ['credentials:exchange']);
    expect((await x.t.call(only, 'POST', `/smartcar/credentials/${id}/token`)).statusCode).toBe(200);
  });
});

describe('geotab server at create (docs/design.md §2.9)', () => {
  it.each(['127.0.0.1', 'localhost', 'geotab.com.evil.example', 'geotab.com@evil.example', 'evilgeotab.com', '[::1]'])(
    '%s is 422: the vault never sends the password to a host of the caller\u2019s choosing',
    async (server) => {
      const res = await x.t.call(x.token, 'POST', '/geotab/credentials', { database: 'd', username: 'u', server, password: 'p' });
      expect(expectProblem(res, 'validation-failed', 422).errors).toEqual([{ pointer: '/server', detail: expect.any(String) }]);
    },
  );

  it.each(['geotab.com', 'my.geotab.com', 'My4.Geotab.com'])('%s is accepted', async (server) => {
    const res = await x.t.call(x.token, 'POST', '/geotab/credentials', { database: 'd', username: `u-${server}`, server, password: 'p' });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('GET /tesla/credentials/{id}/public-key', () => {
  it('returns the PEM public key of the stored private key, and 404 without one', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const withKey = await store('tesla', { client_id: 'tk-1', region: 'na', client_secret: 's', private_key: pem });
    const res = await x.t.call(x.token, 'GET', `/tesla/credentials/${withKey}/public-key`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-pem-file/);
    expect(res.body).toBe(publicKey.export({ type: 'spki', format: 'pem' }));
    expect(createPublicKey(res.body).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(res.body).not.toContain('PRIVATE');
    const without = await store('tesla', { client_id: 'tk-2', region: 'na', client_secret: 's' });
    expectProblem(await x.t.call(x.token, 'GET', `/tesla/credentials/${without}/public-key`), 'not-found', 404);
    const niu = await store('niu', { client_id: 'tk-niu', client_secret: 's' });
    expectProblem(await x.t.call(x.token, 'GET', `/tesla/credentials/${niu}/public-key`), 'not-found', 404);
  });
});
