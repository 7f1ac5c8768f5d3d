import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';
import { claimsOf, restrictedClient, teslaExample } from '../helpers/grants.js';
import { assertionClaims, nowSeconds, signEs256 } from '../helpers/key-client.js';
import { createPrivateKey } from 'node:crypto';

/** Creating restricted clients (docs/grants.md) and the tokens they get: a token request cannot widen a restriction. */
let t: TestApp;
let admin: string;
let teslaId: string;

beforeAll(async () => {
  t = await buildTestApp();
  admin = (await t.newFleet()).token;
  await t.call(admin, 'POST', '/niu/credentials', niuExample);
  teslaId = (await t.call(admin, 'POST', '/tesla/credentials', teslaExample)).json().id;
});
afterAll(() => t?.close());

const create = (body: Record<string, unknown>) => t.call(admin, 'POST', '/clients', { name: 'c', scopes: ['credentials:read'], ...body });

describe('POST /clients with restrict', () => {
  it('refuses unknown brands, empty lists, an empty restriction and malformed ids: 422 validation-failed', async () => {
    const cases: [unknown, string][] = [
      [{ brands: ['niu', 'no-such-brand'] }, '/restrict/brands/1'],
      [{ brands: [] }, '/restrict/brands'],
      [{ credential_ids: [] }, '/restrict/credential_ids'],
      [{}, '/restrict'],
      [{ credential_ids: ['not-a-ulid'] }, '/restrict/credential_ids/0'],
      [{ brands: ['niu'], vehicles: ['x'] }, '/restrict'],
    ];
    for (const [restrict, pointer] of cases) {
      const body = expectProblem(await create({ restrict }), 'validation-failed', 422);
      expect(JSON.stringify(body.errors), JSON.stringify(restrict)).toContain(`"pointer":"${pointer}`);
    }
  });

  it('refuses a restricted client holding clients:manage or audit:read: 422', async () => {
    for (const scope of ['clients:manage', 'audit:read']) {
      const body = expectProblem(
        await create({ scopes: ['credentials:read', scope], restrict: { brands: ['niu'] } }),
        'validation-failed',
        422,
      );
      expect(body.errors).toEqual([{ pointer: '/scopes', detail: `a restricted client cannot hold ${scope}` }]);
    }
  });

  it('shows restrict on create, GET /clients and GET /clients/{id}; null for an unrestricted client', async () => {
    const res = await create({ restrict: { brands: ['NIU', 'tesla'], credential_ids: [teslaId.toLowerCase()] } });
    expect(res.statusCode).toBe(201);
    const restrict = { brands: ['niu', 'tesla'], credential_ids: [teslaId] };
    expect(res.json().restrict).toEqual(restrict);
    const id = res.json().id as string;
    expect((await t.call(admin, 'GET', `/clients/${id}`)).json().restrict).toEqual(restrict);
    const listed = (await t.call(admin, 'GET', '/clients?limit=200')).json().items as { id: string; restrict: unknown }[];
    expect(listed.find((c) => c.id === id)?.restrict).toEqual(restrict);
    expect(listed.filter((c) => c.id !== id).map((c) => c.restrict)).toEqual(listed.filter((c) => c.id !== id).map(() => null));
    const events = (await t.call(admin, 'GET', `/audit?action=client.created&target_id=${id}`)).json().items;
    expect(events.map((e: { details: unknown }) => e.details)).toEqual([{ kind: 'secret', scopes: ['credentials:read'], restrict }]);
  });
});

describe('the token of a restricted client', () => {
  it('carries the stored restriction, whatever the token request asks', async () => {
    const client = await restrictedClient(t, admin, { brands: ['niu'] });
    expect(claimsOf(client.token).rst).toEqual({ b: ['niu'] });
    const narrowed = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        scope: 'credentials:reveal',
        // Not parameters of the token endpoint: ignored, and never a way out of the restriction.
        restrict: 'null',
        rst: '{}',
      },
    });
    expect(narrowed.statusCode).toBe(200);
    const token = narrowed.json().access_token as string;
    expect(claimsOf(token).rst).toEqual({ b: ['niu'] });
    expectProblem(await t.call(token, 'GET', `/tesla/credentials/${teslaId}/secrets`), 'not-found', 404);
  });

  it('of a key client carries it too, through both assertion grants and /v1/auth_tokens', async () => {
    const res = await t.call(admin, 'POST', '/clients', {
      kind: 'key',
      name: 'niu connector',
      scopes: ['credentials:read'],
      restrict: { brands: ['niu'] },
    });
    expect(res.statusCode).toBe(201);
    const keyFile = res.json() as { id: string; private_key: string };
    const key = createPrivateKey(keyFile.private_key);
    const assertion = () => signEs256(assertionClaims(keyFile.id, t.config.publicUrl, nowSeconds()), key);
    const tokens = [
      (
        await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: assertion() },
        })
      ).json().access_token,
      (
        await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: {
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertion(),
          },
        })
      ).json().access_token,
      (await t.app.inject({ method: 'POST', url: '/v1/auth_tokens', payload: { assertion: assertion() } })).json().auth_token,
    ] as string[];
    for (const token of tokens) {
      expect(claimsOf(token).rst).toEqual({ b: ['niu'] });
      expectProblem(await t.call(token, 'GET', `/tesla/credentials/${teslaId}`), 'not-found', 404);
      expect((await t.call(token, 'GET', '/credentials')).json().items.map((c: { brand: string }) => c.brand)).toEqual(['niu']);
    }
  });

  it('a token with a malformed rst claim, even signed by the vault, is 401 invalid-token', async () => {
    const signingKey = t.deps.signingKeys.current();
    const now = nowSeconds();
    const base = { iss: t.config.publicUrl, aud: t.config.publicUrl, sub: claimsOf(admin).sub, fleet: claimsOf(admin).fleet };
    const forged = (rst: unknown) =>
      signEs256(
        { ...base, scope: 'credentials:read', iat: now, exp: now + 60, jti: `rst-${JSON.stringify(rst)}`, rst },
        createPrivateKey(signingKey.privateKeyPem),
        {
          alg: 'ES256',
          typ: 'JWT',
          kid: signingKey.kid,
        },
      );
    // The control: the same forgery with a well-formed claim is accepted (and applied).
    const control = await t.call(forged({ b: ['tesla'] }), 'GET', '/credentials');
    expect(control.json().items.map((c: { brand: string }) => c.brand)).toEqual(['tesla']);
    for (const rst of [{}, { b: [] }, { b: 'niu' }, { c: ['not-a-ulid'] }, null]) {
      expectProblem(await t.call(forged(rst), 'GET', '/credentials'), 'invalid-token', 401);
    }
  });

  it('an unrestricted client\u2019s token has no rst claim', async () => {
    expect(claimsOf(admin)).not.toHaveProperty('rst');
  });
});
