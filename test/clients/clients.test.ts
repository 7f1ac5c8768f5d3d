import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/** The clients API (docs/design.md §2.3): secret and key clients, list, get, delete, secret rotation. */
let t: TestApp;
let admin: string;
let fleetId: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token: admin, fleetId } = await t.newFleet());
});
afterAll(() => t?.close());

const basicToken = (id: string, secret: string) =>
  t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    payload: { grant_type: 'client_credentials' },
  });
const ulid = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('POST /clients', () => {
  it('a secret client: 201, Location, the secret once; it gets tokens with exactly its scopes', async () => {
    const res = await t.call(admin, 'POST', '/clients', { name: 'reader', scopes: ['credentials:read'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(ulid),
      kind: 'secret',
      name: 'reader',
      fleet_id: fleetId,
      scopes: ['credentials:read'],
      public_jwk: null,
      created_at: expect.any(String),
      restrict: null,
      client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(res.headers.location).toBe(`/clients/${body.id}`);
    const token = await basicToken(body.id, body.client_secret);
    expect(token.json().scope).toBe('credentials:read');
    expect((await t.call(admin, 'GET', `/clients/${body.id}`)).body).not.toContain(body.client_secret);
  });

  it('a key client without a key: the vault generates it and returns High Mobility\u2019s key-file shape once', async () => {
    const res = await t.call(admin, 'POST', '/clients', { kind: 'key', name: 'service account', scopes: ['vehicles:read'] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      id: expect.stringMatching(ulid),
      kind: 'key',
      private_key: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----\n/),
      token_uri: `${t.config.publicUrl}/v1/auth_tokens`,
      instance_uri: t.config.publicUrl,
      inserted_at: body.created_at,
      fleet_id: fleetId,
      scopes: ['vehicles:read'],
      public_jwk: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
    });
    const again = await t.call(admin, 'GET', `/clients/${body.id}`);
    expect(again.json()).not.toHaveProperty('private_key');
  });

  it('a key client from a PEM or a JWK public key: stored as the JWK, no private key returned', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const fromPem = await t.call(admin, 'POST', '/clients', {
      kind: 'key',
      name: 'pem',
      scopes: ['vehicles:read'],
      public_key: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    const fromJwk = await t.call(admin, 'POST', '/clients', { kind: 'key', name: 'jwk', scopes: ['vehicles:read'], public_key: jwk });
    for (const res of [fromPem, fromJwk]) {
      expect(res.statusCode).toBe(201);
      expect(res.json().public_jwk).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
      expect(res.json()).not.toHaveProperty('private_key');
    }
  });

  it.each([
    [
      'a private key',
      () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ],
    ['a P-384 key', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['an RSA key', () => generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }).toString()],
    ['a private JWK', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })],
    ['garbage', () => '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----'],
  ])('refuses %s as public_key: 422 validation-failed at /public_key', async (_name, key) => {
    const res = await t.call(admin, 'POST', '/clients', { kind: 'key', name: 'bad', scopes: ['vehicles:read'], public_key: key() });
    const body = expectProblem(res, 'validation-failed', 422);
    expect((body.errors as { pointer: string }[])[0]!.pointer).toBe('/public_key');
  });

  it('refuses a public_key on a secret client, unknown scopes and fields: 422', async () => {
    expectProblem(
      await t.call(admin, 'POST', '/clients', { name: 'x', scopes: ['vehicles:read'], public_key: 'k' }),
      'validation-failed',
      422,
    );
    expectProblem(await t.call(admin, 'POST', '/clients', { name: 'x', scopes: ['root'] }), 'validation-failed', 422);
    expectProblem(await t.call(admin, 'POST', '/clients', { name: 'x', scopes: ['vehicles:read'], secret: 's' }), 'validation-failed', 422);
  });

  it('a client cannot grant scopes its creator does not hold: 403 insufficient-scope', async () => {
    const manager = await t.tokenFor(fleetId, ['clients:manage', 'vehicles:read']);
    const res = await t.call(manager, 'POST', '/clients', {
      kind: 'key',
      name: 'escalate',
      scopes: ['vehicles:read', 'credentials:reveal'],
    });
    const body = expectProblem(res, 'insufficient-scope', 403);
    expect(body.not_held).toEqual(['credentials:reveal']);
    expect((await t.call(manager, 'POST', '/clients', { name: 'ok', scopes: ['vehicles:read'] })).statusCode).toBe(201);
  });
});

describe('GET /clients', () => {
  it('lists the fleet\u2019s live clients by id, paged, without secrets', async () => {
    const other = await t.newFleet();
    await t.call(other.token, 'POST', '/clients', { name: 'elsewhere', scopes: ['vehicles:read'] });
    const first = await t.call(admin, 'GET', '/clients?limit=2');
    expect(first.statusCode).toBe(200);
    const page = first.json();
    expect(page.items).toHaveLength(2);
    expect(page.next_cursor).toEqual(expect.any(String));
    const all = (await t.call(admin, 'GET', '/clients?limit=200')).json().items as { fleet_id: string; name: string }[];
    expect(all.every((c) => c.fleet_id === fleetId)).toBe(true);
    expect(all.map((c) => c.name)).not.toContain('elsewhere');
    const rest = (await t.call(admin, 'GET', `/clients?limit=200&cursor=${page.next_cursor}`)).json().items;
    expect(rest).toHaveLength(all.length - 2);
    for (const body of [first.body, JSON.stringify(all)]) expect(body).not.toMatch(/client_secret|secret_hash|private_key/);
  });
});

describe('DELETE /clients/{id} and POST /clients/{id}/secret', () => {
  it('delete: 204, then 404; its tokens are refused at once on this replica; the secret no longer works', async () => {
    const created = (await t.call(admin, 'POST', '/clients', { name: 'doomed', scopes: ['vehicles:read'] })).json();
    const token = (await basicToken(created.id, created.client_secret)).json().access_token;
    expect((await t.call(token, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await t.call(admin, 'DELETE', `/clients/${created.id}`)).statusCode).toBe(204);
    expectProblem(await t.call(admin, 'GET', `/clients/${created.id}`), 'not-found', 404);
    expectProblem(await t.call(admin, 'DELETE', `/clients/${created.id}`), 'not-found', 404);
    expectProblem(await t.call(token, 'GET', '/vehicles'), 'invalid-token', 401);
    expect((await basicToken(created.id, created.client_secret)).json().error).toBe('invalid_client');
  });

  it('rotate: the new secret is shown once and works; the old one stops at once', async () => {
    const created = (await t.call(admin, 'POST', '/clients', { name: 'rotating', scopes: ['vehicles:read'] })).json();
    const res = await t.call(admin, 'POST', `/clients/${created.id}/secret`);
    expect(res.statusCode).toBe(200);
    const rotated = res.json();
    expect(rotated).toMatchObject({ id: created.id, kind: 'secret', client_secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(rotated.client_secret).not.toBe(created.client_secret);
    expect((await basicToken(created.id, created.client_secret)).statusCode).toBe(401);
    expect((await basicToken(created.id, rotated.client_secret)).statusCode).toBe(200);
  });

  it('rotating a key client\u2019s secret is 409 conflicting-resource; another fleet\u2019s client is 404', async () => {
    const key = (await t.call(admin, 'POST', '/clients', { kind: 'key', name: 'k', scopes: ['vehicles:read'] })).json();
    expectProblem(await t.call(admin, 'POST', `/clients/${key.id}/secret`), 'conflicting-resource', 409);
    const other = await t.newFleet();
    expectProblem(await t.call(other.token, 'POST', `/clients/${key.id}/secret`), 'not-found', 404);
    expectProblem(await t.call(other.token, 'DELETE', `/clients/${key.id}`), 'not-found', 404);
    expect((await t.call(admin, 'GET', `/clients/${key.id}`)).statusCode).toBe(200);
    expectProblem(await t.call(admin, 'GET', '/clients/not-an-id'), 'not-found', 404);
  });
});

describe('a clients:manage client cannot act on a client more powerful than itself', () => {
  it('rotating or deleting a client with scopes it lacks is 403 insufficient-scope; its own kind of client is fine', async () => {
    const manager = await t.call(admin, 'POST', '/clients', { name: 'manager', scopes: ['clients:manage', 'vehicles:read'] });
    const { id: managerId, client_secret: managerSecret } = manager.json();
    const managerToken = (await basicToken(managerId, managerSecret)).json().access_token as string;
    const adminClient = (
      await t.call(admin, 'POST', '/clients', { name: 'powerful', scopes: ['credentials:reveal', 'vehicles:read'] })
    ).json();

    const rotate = await t.call(managerToken, 'POST', `/clients/${adminClient.id}/secret`);
    expect(expectProblem(rotate, 'insufficient-scope', 403).not_held).toEqual(['credentials:reveal']);
    expect(rotate.body).not.toMatch(/client_secret/);
    expectProblem(await t.call(managerToken, 'DELETE', `/clients/${adminClient.id}`), 'insufficient-scope', 403);
    // The powerful client is untouched: its secret still works.
    expect((await basicToken(adminClient.id, adminClient.client_secret)).statusCode).toBe(200);

    const peer = (await t.call(managerToken, 'POST', '/clients', { name: 'peer', scopes: ['vehicles:read'] })).json();
    expect((await t.call(managerToken, 'POST', `/clients/${peer.id}/secret`)).statusCode).toBe(200);
    expect((await t.call(managerToken, 'DELETE', `/clients/${peer.id}`)).statusCode).toBe(204);
  });
});
