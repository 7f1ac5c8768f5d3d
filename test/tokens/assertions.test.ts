import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { v4 as uuidv4 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { assertionClaims, newKeyClient, otherP256Key, signEs256 } from '../helpers/key-client.js';

/** Assertions at /oauth/token (RFC 7523 §2.1 and §2.2) and /v1/auth_tokens (High Mobility), docs/design.md §2.3. */
const NOW = Math.floor(Date.now() / 1000);
const clock = { now: () => new Date(NOW * 1000) };
// Dozens of refused assertions name one key client: its token-endpoint rate limit (test/http/rate-limit.test.ts) is off here.
const env = { FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '0' };

let t: TestApp;
let admin: string;
let aud: string;
let keyA: { keyFile: { id: string; token_uri: string; instance_uri: string }; privateKey: KeyObject };
let keyB: Awaited<ReturnType<typeof newKeyClient>>;
let secretClientId: string;

beforeAll(async () => {
  t = await buildTestApp({ clock, env });
  const fleet = await t.newFleet();
  admin = fleet.token;
  secretClientId = fleet.clientId;
  aud = t.config.publicUrl;
  keyA = await newKeyClient(t, admin);
  keyB = await newKeyClient(t, admin);
});
afterAll(() => t?.close());

const jwtBearer = (assertion: string, extra: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, ...extra },
  });
const privateKeyJwt = (assertion: string) =>
  t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    },
  });
const authTokens = (assertion: string) => t.app.inject({ method: 'POST', url: '/v1/auth_tokens', payload: { assertion } });
const claims = (extra: Record<string, unknown> = {}) => assertionClaims(keyA.keyFile.id, aud, NOW, extra);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('a valid assertion', () => {
  it('jwt-bearer grant: 200 with the key client\u2019s scopes; the token reads the fleet', async () => {
    const res = await jwtBearer(signEs256(claims(), keyA.privateKey));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900, scope: 'credentials:read vehicles:read' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await t.call(body.access_token, 'GET', '/credentials')).statusCode).toBe(200);
  });

  it('private_key_jwt client_credentials: 200, and scope narrows', async () => {
    const res = await privateKeyJwt(signEs256(claims({ sub: keyA.keyFile.id }), keyA.privateKey));
    expect(res.statusCode).toBe(200);
    const narrowed = await jwtBearer(signEs256(claims(), keyA.privateKey), { scope: 'vehicles:read' });
    expect(narrowed.json().scope).toBe('vehicles:read');
  });

  it('/v1/auth_tokens: 201 {auth_token, valid_from, valid_until}, JSON or form', async () => {
    const res = await authTokens(signEs256(claims({ aud: `${aud}/v1` }), keyA.privateKey));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      auth_token: expect.any(String),
      valid_from: new Date(NOW * 1000).toISOString(),
      valid_until: new Date((NOW + 900) * 1000).toISOString(),
    });
    const form = await t.app.inject({
      method: 'POST',
      url: '/v1/auth_tokens',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ assertion: signEs256(claims({ aud: keyA.keyFile.token_uri }), keyA.privateKey) }).toString(),
    });
    expect(form.statusCode).toBe(201);
  });

  it('High Mobility\u2019s Node example (jsonwebtoken ES256, ver/aud/iss/jti uuid v4/iat) works at both endpoints', async () => {
    const hmAssertion = () =>
      jwt.sign(
        { ver: 2, aud: `${aud}/v1`, iss: keyA.keyFile.id, jti: uuidv4(), iat: NOW },
        keyA.privateKey.export({ format: 'pem', type: 'pkcs8' }),
        {
          algorithm: 'ES256',
        },
      );
    expect((await authTokens(hmAssertion())).statusCode).toBe(201);
    expect((await jwtBearer(hmAssertion())).statusCode).toBe(200);
  });
});

describe('assertion attacks: each refused at all three entry points', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const attacks: [string, string, () => string][] = [
    ['wrong curve (P-384 key)', 'signature does not verify', () => signEs256(claims(), p384)],
    ['ES384 header', 'alg must be ES256', () => signEs256(claims(), p384, { alg: 'ES384' })],
    [
      'RS256',
      'alg must be ES256',
      () => {
        const input = `${b64({ alg: 'RS256' })}.${b64(claims())}`;
        return `${input}.${sign('sha256', Buffer.from(input), rsa).toString('base64url')}`;
      },
    ],
    [
      'HS256 keyed with the public JWK',
      'alg must be ES256',
      () => {
        const input = `${b64({ alg: 'HS256' })}.${b64(claims())}`;
        return `${input}.${createHmac('sha256', JSON.stringify(keyA.keyFile)).update(input).digest('base64url')}`;
      },
    ],
    ['alg none', 'alg must be ES256', () => `${b64({ alg: 'none' })}.${b64(claims())}.`],
    [
      'altered payload',
      'signature does not verify',
      () => {
        const [h, , s] = signEs256(claims(), keyA.privateKey).split('.');
        return `${h}.${b64(claims({ scope: 'clients:manage' }))}.${s}`;
      },
    ],
    ['iat 31 s old', 'iat must be within 30 s', () => signEs256(claims({ iat: NOW - 31 }), keyA.privateKey)],
    ['iat 31 s ahead', 'iat must be within 30 s', () => signEs256(claims({ iat: NOW + 31 }), keyA.privateKey)],
    ['exp more than 300 s after iat', 'exp must be at most 300 s after iat', () => signEs256(claims({ exp: NOW + 301 }), keyA.privateKey)],
    ['exp in the past', 'has expired', () => signEs256(claims({ exp: NOW - 1 }), keyA.privateKey)],
    ['missing jti', 'jti is required', () => signEs256(claims({ jti: undefined }), keyA.privateKey)],
    ['iss of another key client', 'signature does not verify', () => signEs256(claims({ iss: keyB.keyFile.id }), keyA.privateKey)],
    ['iss of a secret client', 'iss is a secret client', () => signEs256(claims({ iss: secretClientId }), keyA.privateKey)],
    ['unknown iss', 'iss is not a known key client', () => signEs256(claims({ iss: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }), keyA.privateKey)],
    ['sub differing from iss', 'sub must equal iss', () => signEs256(claims({ sub: keyB.keyFile.id }), keyA.privateKey)],
    ['wrong aud', 'aud must be one of', () => signEs256(claims({ aud: 'https://elsewhere.example' }), keyA.privateKey)],
    // Aud is compared exactly, and its length is bounded before it is looked at.
    ['aud with a trailing slash', 'aud must be one of', () => signEs256(claims({ aud: `${aud}/` }), keyA.privateKey)],
    [
      'aud of 2 100 slashes and a letter',
      'aud must be a string or at most 8 strings',
      () => signEs256(claims({ aud: `${'/'.repeat(2100)}a` }), keyA.privateKey),
    ],
    [
      'aud array of 9 entries',
      'aud must be a string or at most 8 strings',
      () => signEs256(claims({ aud: Array(9).fill(aud) }), keyA.privateKey),
    ],
    [
      'aud array with an over-long entry',
      'aud must be a string or at most 8 strings',
      () => signEs256(claims({ aud: [aud, 'x'.repeat(2049)] }), keyA.privateKey),
    ],
    ['sub over 2 048 characters', 'sub must be at most 2048', () => signEs256(claims({ sub: 'x'.repeat(2049) }), keyA.privateKey)],
    ['unknown ver', 'ver must be 1 or 2', () => signEs256(claims({ ver: 3 }), keyA.privateKey)],
    ['signed by an unregistered key', 'signature does not verify', () => signEs256(claims(), otherP256Key())],
    ['not a JWT', 'not a compact JWS', () => 'not-a-jwt'],
  ];

  it.each(attacks)('%s', async (_name, reason, make) => {
    const grant = await jwtBearer(make());
    expect([grant.statusCode, grant.json().error]).toEqual([400, 'invalid_grant']);
    expect(grant.json().error_description).toContain(reason);
    const clientAuth = await privateKeyJwt(make());
    expect([clientAuth.statusCode, clientAuth.json().error]).toEqual([401, 'invalid_client']);
    const hm = await authTokens(make());
    expect(hm.statusCode).toBe(401);
    expect(hm.json()).toEqual({ errors: [{ title: 'Unauthorized', detail: expect.any(String), source: 'assertion' }] });
    for (const res of [grant, clientAuth, hm]) expect(res.body).not.toContain(make().split('.')[1] ?? 'never');
  });

  it('a replayed jti fails at every endpoint, and after a restart', async () => {
    const assertion = signEs256(claims(), keyA.privateKey);
    expect((await jwtBearer(assertion)).statusCode).toBe(200);
    const replay = await jwtBearer(assertion);
    expect(replay.json()).toEqual({ error: 'invalid_grant', error_description: 'the assertion was already used (jti replay)' });
    expect((await authTokens(assertion)).statusCode).toBe(401);
    expect((await privateKeyJwt(assertion)).statusCode).toBe(401);

    await t.close({ keepData: true });
    t = await buildTestApp({ reuse: t, masterKeys: t.masterKeys, clock, env });
    const afterRestart = await jwtBearer(assertion);
    expect(afterRestart.json().error_description).toBe('the assertion was already used (jti replay)');
    expect((await jwtBearer(signEs256(claims(), keyA.privateKey))).statusCode).toBe(200);
  });
});

describe('malformed requests', () => {
  it('jwt-bearer without an assertion is invalid_request; /v1/auth_tokens without one is 400 in HM\u2019s shape', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer' },
    });
    expect([res.statusCode, res.json().error]).toEqual([400, 'invalid_request']);
    const hm = await t.app.inject({ method: 'POST', url: '/v1/auth_tokens', payload: {} });
    expect(hm.statusCode).toBe(400);
    expect(hm.json().errors[0]).toMatchObject({ title: 'Bad request', source: 'assertion' });
  });

  it('a wrong client_assertion_type is invalid_client', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:example:saml',
        client_assertion: signEs256(claims(), keyA.privateKey),
      },
    });
    expect([res.statusCode, res.json().error]).toEqual([401, 'invalid_client']);
  });
});
