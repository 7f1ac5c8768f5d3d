import { createPublicKey, verify as verifySignature } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { cliContext } from '../../src/core/context.js';

let t: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
let narrow: { client_id: string; client_secret: string };

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

function tokenRequest(options: { form?: Record<string, string>; json?: unknown; headers?: Record<string, string>; query?: string }) {
  const { form, json, headers = {}, query = '' } = options;
  return t.app.inject({
    method: 'POST',
    url: `/oauth/token${query}`,
    headers: { ...(form && { 'content-type': 'application/x-www-form-urlencoded' }), ...headers },
    ...(form && { payload: new URLSearchParams(form).toString() }),
    ...(json !== undefined && { payload: json as object }),
  });
}

function claimsOf(token: string) {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

function expectOAuthError(res: Awaited<ReturnType<typeof tokenRequest>>, error: string, status: number) {
  expect({ status: res.statusCode, error: res.json().error }).toEqual({ status, error });
  expect(typeof res.json().error_description).toBe('string');
  expect(res.headers['cache-control']).toBe('no-store');
}

beforeAll(async () => {
  t = await buildTestApp();
  fleet = await t.newFleet();
  narrow = await t.deps.services.clients.createSecretClient(cliContext(fleet.fleetId), 'reader', ['credentials:read', 'vehicles:read']);
});
afterAll(() => t.close());

describe('POST /oauth/token, client_credentials (RFC 6749 §4.4)', () => {
  it('issues a Bearer token with HTTP Basic and a form body', async () => {
    const res = await tokenRequest({
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic(narrow.client_id, narrow.client_secret) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'credentials:read vehicles:read',
    });
    const claims = claimsOf(body.access_token);
    expect(claims).toMatchObject({
      sub: narrow.client_id,
      fleet: fleet.fleetId,
      scope: 'credentials:read vehicles:read',
      iss: t.config.publicUrl,
    });
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.jti).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('accepts HTTP Basic with grant_type in the query string and no body at all (as INVERS clients send it)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token?grant_type=client_credentials',
      headers: { authorization: basic(narrow.client_id, narrow.client_secret) },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().token_type).toBe('Bearer');
  });

  it('accepts credentials in a JSON body and grant_type in the query string', async () => {
    const res = await tokenRequest({
      query: '?grant_type=client_credentials',
      json: { client_id: narrow.client_id, client_secret: narrow.client_secret },
    });
    expect(res.statusCode).toBe(200);
  });

  it('narrows the scope on request, and refuses scopes the client does not hold', async () => {
    const ok = await tokenRequest({ form: { grant_type: 'client_credentials', scope: 'vehicles:read', ...narrow } });
    expect(ok.json().scope).toBe('vehicles:read');
    expect(claimsOf(ok.json().access_token).scope).toBe('vehicles:read');
    expectOAuthError(
      await tokenRequest({ form: { grant_type: 'client_credentials', scope: 'credentials:write', ...narrow } }),
      'invalid_scope',
      400,
    );
    expectOAuthError(await tokenRequest({ form: { grant_type: 'client_credentials', scope: 'root', ...narrow } }), 'invalid_scope', 400);
  });

  it('a narrowed token is refused on routes needing another scope: 403 insufficient-scope', async () => {
    const res = await tokenRequest({ form: { grant_type: 'client_credentials', scope: 'vehicles:read', ...narrow } });
    const denied = await t.call(res.json().access_token, 'GET', '/credentials');
    expect(denied.statusCode).toBe(403);
    expect(denied.json().type).toBe('/problems/insufficient-scope');
  });

  it('answers invalid_client with 401 and WWW-Authenticate for a wrong secret, unknown client or no authentication', async () => {
    for (const res of [
      await tokenRequest({ form: { grant_type: 'client_credentials' }, headers: { authorization: basic(narrow.client_id, 'wrong') } }),
      await tokenRequest({ form: { grant_type: 'client_credentials', client_id: '01HZZZZZZZZZZZZZZZZZZZZZZZ', client_secret: 'x' } }),
      await tokenRequest({ form: { grant_type: 'client_credentials' } }),
    ]) {
      expectOAuthError(res, 'invalid_client', 401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
      expect(res.body).not.toContain(narrow.client_secret);
    }
  });

  it('refuses two authentication methods at once (RFC 6749 §2.3)', async () => {
    const res = await tokenRequest({
      form: { grant_type: 'client_credentials', client_secret: narrow.client_secret },
      headers: { authorization: basic(narrow.client_id, narrow.client_secret) },
    });
    expectOAuthError(res, 'invalid_request', 400);
  });

  it('answers unsupported_grant_type, and invalid_request for a missing grant_type or malformed bodies', async () => {
    expectOAuthError(await tokenRequest({ form: { grant_type: 'password', ...narrow } }), 'unsupported_grant_type', 400);
    expectOAuthError(await tokenRequest({ form: { ...narrow } }), 'invalid_request', 400);
    expectOAuthError(
      await tokenRequest({ json: { grant_type: 'client_credentials', client_id: 5, client_secret: 'x' } }),
      'invalid_request',
      400,
    );
    const broken = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/json' },
      payload: '{"grant_type":',
    });
    expectOAuthError(broken, 'invalid_request', 400);
    const wrongType = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'text/plain' },
      payload: 'grant_type=client_credentials',
    });
    expectOAuthError(wrongType, 'invalid_request', 400);
  });
});

describe('hostile token requests', () => {
  it('answers unsupported_grant_type for names of Object.prototype members, never 200 or 500', async () => {
    for (const grant_type of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__', '__defineGetter__']) {
      expectOAuthError(await tokenRequest({ form: { grant_type, ...narrow } }), 'unsupported_grant_type', 400);
    }
  });

  it('answers invalid_request, not 500, for a JSON body nested thousands of levels deep', async () => {
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const res = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/json' }, payload: deep });
    expectOAuthError(res, 'invalid_request', 400);
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes the ES256 public key that verifies issued tokens, and no private part', async () => {
    const jwks = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys).toHaveLength(1);
    const [jwk] = jwks.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: expect.any(String) });
    expect(jwk.d).toBeUndefined();
    const token = (await tokenRequest({ form: { grant_type: 'client_credentials', ...narrow } })).json().access_token as string;
    const [header, payload, signature] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString()).kid).toBe(jwk.kid);
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const valid = verifySignature(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      { key, dsaEncoding: 'ieee-p1363' },
      Buffer.from(signature!, 'base64url'),
    );
    expect(valid).toBe(true);
  });
});
