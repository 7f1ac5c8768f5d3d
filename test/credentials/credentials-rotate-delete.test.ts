import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../../src/crypto/keyring.js';
import { fileMasterKey } from '../../src/crypto/master-key-provider.js';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

const newP256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

/** Real time, but strictly increasing: every change gets a distinct timestamp even within one millisecond. */
let lastMs = 0;
const clock = {
  now: () => {
    lastMs = Math.max(Date.now(), lastMs + 1);
    return new Date(lastMs);
  },
};

let t: TestApp;
let token: string;
let fleetId: string;

beforeAll(async () => {
  t = await buildTestApp({ clock });
  ({ token, fleetId } = await t.newFleet());
});
afterAll(() => t.close());

const create = async (brand = 'niu', body: Record<string, unknown> = { client_id: 'c', client_secret: 's' }) => {
  const res = await t.call(token, 'POST', `/${brand}/credentials`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res;
};

/** The stored secrets, opened the way the vault opens them: proves what a rotation kept. */
async function storedSecrets(id: string): Promise<Record<string, string>> {
  const row = await t.deps.database.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const keyring = createKeyring({ masterKeys: t.masterKeys.map(fileMasterKey), repos: t.deps.store.repos });
  return keyring.openSecrets(fleetId, id, row.secret_version, row.sealed_secrets, row.data_key_id);
}

const pointers = (problem: Record<string, unknown>) => (problem.errors as { pointer: string }[]).map((e) => e.pointer);

describe('PATCH /{brand}/credentials/{id}: rotation', () => {
  it('increments secret_version 1→2→3, moves updated_at and secret_updated_at, never created_at, and changes the ETag', async () => {
    const created = await create('niu', niuExample);
    const v1 = created.json();
    const url = created.headers.location as string;
    const r2 = await t.call(token, 'PATCH', url, { client_secret: 'rotated-2' });
    expect(r2.statusCode).toBe(200);
    const v2 = r2.json();
    expect(v2).toEqual({ ...v1, secret_version: 2, updated_at: expect.stringMatching(/Z$/), secret_updated_at: v2.updated_at });
    expect(Date.parse(v2.updated_at)).toBeGreaterThan(Date.parse(v1.updated_at));
    expect(r2.headers.etag).toMatch(/^"[^"]+"$/);
    expect(r2.headers.etag).not.toBe(created.headers.etag);
    expect(r2.headers['cache-control']).toBe('no-store');
    expect(r2.body).not.toContain('rotated-2');
    const r3 = await t.call(token, 'PATCH', url, { client_secret: 'rotated-3' });
    const v3 = r3.json();
    expect(v3).toMatchObject({ secret_version: 3, created_at: v1.created_at, secret_updated_at: v3.updated_at });
    expect(Date.parse(v3.updated_at)).toBeGreaterThan(Date.parse(v2.updated_at));
    expect(r3.headers.etag).not.toBe(r2.headers.etag);
    const read = await t.call(token, 'GET', url);
    expect(read.json()).toEqual(r3.json());
    expect(read.headers.etag).toBe(r3.headers.etag);
    expect(await storedSecrets(v1.id)).toEqual({ client_secret: 'rotated-3' });
  });

  it('refuses client_id with a detail saying a new client_id is a new credential made by POST', async () => {
    const url = (await create()).headers.location as string;
    const problem = expectProblem(await t.call(token, 'PATCH', url, { client_id: 'other' }), 'validation-failed', 422);
    expect(problem.errors).toEqual([{ pointer: '/client_id', detail: expect.stringMatching(/different credential.*POST/) }]);
    expect(problem.detail).toContain('client_secret');
    expect((await t.call(token, 'GET', url)).json()).toMatchObject({ client_id: 'c', secret_version: 1 });
  });

  it.each([
    ['name', { name: 'renamed' }, ['/name']],
    ['an unknown field', { clientSecret: 'x' }, ['/clientSecret']],
    ['a secret with an unknown field', { client_secret: 'x', extra: 1 }, ['/extra']],
    ['an empty body', {}, ['']],
    ['a non-string secret', { client_secret: 5 }, ['/client_secret']],
    ['an empty secret', { client_secret: '' }, ['/client_secret']],
    ['a secret over 8 KiB', { client_secret: 'x'.repeat(8193) }, ['/client_secret']],
  ])('refuses %s: 422 and nothing changes', async (_what, body, expected) => {
    const url = (await create()).headers.location as string;
    const problem = expectProblem(await t.call(token, 'PATCH', url, body), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(expected);
    expect((await t.call(token, 'GET', url)).json().secret_version).toBe(1);
  });

  it('refuses a setting such as openobd cluster_id', async () => {
    const url = (await create('openobd', { client_id: 'o', cluster_id: '001', client_secret: 's' })).headers.location as string;
    const problem = expectProblem(await t.call(token, 'PATCH', url, { cluster_id: '002' }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/cluster_id']);
    expect((await t.call(token, 'PATCH', url, { partner_api_key: 'legacy' })).json().secret_version).toBe(2);
  });

  it('tesla: rotating client_secret keeps the stored private_key, and a new key must be P-256', async () => {
    const key = newP256();
    const created = await create('tesla', { client_id: 'tc', region: 'eu', client_secret: 's1', private_key: key });
    const url = created.headers.location as string;
    expect((await t.call(token, 'PATCH', url, { client_secret: 's2' })).json().secret_version).toBe(2);
    expect(await storedSecrets(created.json().id)).toEqual({ client_secret: 's2', private_key: key });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const problem = expectProblem(await t.call(token, 'PATCH', url, { private_key: p384 }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/private_key']);
    const newKey = newP256();
    expect((await t.call(token, 'PATCH', url, { private_key: newKey })).json().secret_version).toBe(3);
    expect(await storedSecrets(created.json().id)).toEqual({ client_secret: 's2', private_key: newKey });
  });

  it('high-mobility: a key credential keeps its key across rotations and cannot also take a client_secret', async () => {
    const url = (await create('high-mobility', { client_id: 'h', environment: 'sandbox', private_key: newP256(), key_id: 'k1' })).headers
      .location as string;
    expect((await t.call(token, 'PATCH', url, { key_id: 'k2' })).json().secret_version).toBe(2);
    expect((await t.call(token, 'PATCH', url, { private_key: newP256(), key_id: 'k3' })).json().secret_version).toBe(3);
    const problem = expectProblem(await t.call(token, 'PATCH', url, { client_secret: 'now-a-secret' }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/private_key']);
    expect((await t.call(token, 'GET', url)).json().secret_version).toBe(3);
  });

  it('high-mobility: a secret credential cannot gain a key_id alone', async () => {
    const url = (await create('high-mobility', { client_id: 'h', environment: 'sandbox', client_secret: 's' })).headers.location as string;
    expectProblem(await t.call(token, 'PATCH', url, { key_id: 'k' }), 'validation-failed', 422);
    expect((await t.call(token, 'PATCH', url, { client_secret: 's2' })).statusCode).toBe(200);
  });
});

describe('If-Match', () => {
  it('PATCH with the current ETag succeeds; with a stale one is 412 precondition-failed and changes nothing', async () => {
    const created = await create();
    const url = created.headers.location as string;
    const etag1 = created.headers.etag as string;
    const ok = await t.call(token, 'PATCH', url, { client_secret: 'two' }, { 'if-match': etag1 });
    expect(ok.statusCode).toBe(200);
    expectProblem(await t.call(token, 'PATCH', url, { client_secret: 'three' }, { 'if-match': etag1 }), 'precondition-failed', 412);
    expectProblem(await t.call(token, 'PATCH', url, { client_secret: 'three' }, { 'if-match': '"nonsense"' }), 'precondition-failed', 412);
    expect((await t.call(token, 'GET', url)).json().secret_version).toBe(2);
    const listed = await t.call(token, 'PATCH', url, { client_secret: 'three' }, { 'if-match': `"other", ${ok.headers.etag}` });
    expect(listed.statusCode).toBe(200);
    expect((await t.call(token, 'PATCH', url, { client_secret: 'four' }, { 'if-match': '*' })).json().secret_version).toBe(4);
  });

  it('DELETE with a stale ETag is 412 and keeps the credential; with the current one deletes it', async () => {
    const created = await create();
    const url = created.headers.location as string;
    const stale = created.headers.etag as string;
    const rotated = await t.call(token, 'PATCH', url, { client_secret: 'two' });
    expectProblem(await t.call(token, 'DELETE', url, undefined, { 'if-match': stale }), 'precondition-failed', 412);
    expect((await t.call(token, 'GET', url)).statusCode).toBe(200);
    expect((await t.call(token, 'DELETE', url, undefined, { 'if-match': rotated.headers.etag as string })).statusCode).toBe(204);
  });

  it('follows the secret: a vehicle added since the read does not make If-Match stale', async () => {
    const created = await create();
    const { id } = created.json();
    await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `etag-${id}`, credentials_id: id });
    const read = await t.call(token, 'GET', `/niu/credentials/${id}`);
    expect(read.json().vehicle_count).toBe(1);
    expect(read.headers.etag).toBe(created.headers.etag);
    const res = await t.call(
      token,
      'PATCH',
      `/niu/credentials/${id}`,
      { client_secret: 'x' },
      { 'if-match': created.headers.etag as string },
    );
    expect(res.statusCode).toBe(200);
  });

  it('a weak ETag never matches (If-Match uses the strong comparison)', async () => {
    const created = await create();
    const res = await t.call(
      token,
      'PATCH',
      created.headers.location as string,
      { client_secret: 'x' },
      { 'if-match': `W/${created.headers.etag}` },
    );
    expectProblem(res, 'precondition-failed', 412);
  });
});

describe('GET /{brand}/credentials/{id}', () => {
  it('answers the view with an ETag and no-store; lower-case ids work too', async () => {
    const created = await create();
    const { id } = created.json();
    const res = await t.call(token, 'GET', `/niu/credentials/${id.toLowerCase()}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(created.json());
    expect(res.headers.etag).toBe(created.headers.etag);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('is 404 not-found for the wrong brand, an unknown id or a malformed id, on GET, PATCH and DELETE', async () => {
    const { id } = (await create()).json();
    const urls = [
      `/mercedes-benz/credentials/${id}`,
      '/niu/credentials/01ARZ3NDEKTSV4RRFFQ69G5FAV',
      '/niu/credentials/not-a-ulid',
      `/niu/credentials/${'x'.repeat(80)}`,
      `/niu/credentials/${'x'.repeat(300)}`,
    ];
    for (const url of urls) {
      expectProblem(await t.call(token, 'GET', url), 'not-found', 404);
      expectProblem(await t.call(token, 'PATCH', url, { client_secret: 'x' }), 'not-found', 404);
      expectProblem(await t.call(token, 'DELETE', url), 'not-found', 404);
    }
    expect((await t.call(token, 'GET', `/niu/credentials/${id}`)).json().secret_version).toBe(1);
  });
});

describe('DELETE /{brand}/credentials/{id}', () => {
  it('answers 204 with no body, then 404', async () => {
    const url = (await create()).headers.location as string;
    const res = await t.call(token, 'DELETE', url);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectProblem(await t.call(token, 'DELETE', url), 'not-found', 404);
    expectProblem(await t.call(token, 'GET', url), 'not-found', 404);
  });

  it('a referenced credential is 409 conflicting-resource with the count and the first 20 vehicle ids; nothing is deleted', async () => {
    const { id } = (await create()).json();
    const vehicleIds: string[] = [];
    for (let i = 0; i < 21; i++) {
      const v = await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `unit-${i}`, credentials_id: id });
      expect(v.statusCode).toBe(201);
      vehicleIds.push(v.json().id);
    }
    const res = await t.call(token, 'DELETE', `/niu/credentials/${id}`);
    const problem = expectProblem(res, 'conflicting-resource', 409);
    expect(problem.vehicle_count).toBe(21);
    const listed = problem.vehicle_ids as string[];
    expect(listed).toHaveLength(20);
    expect(new Set(listed).size).toBe(20);
    for (const v of listed) expect(vehicleIds).toContain(v);
    expect(listed).toEqual([...vehicleIds].sort().slice(0, 20));

    const still = await t.call(token, 'GET', `/niu/credentials/${id}`);
    expect(still.json().vehicle_count).toBe(21);
    const vehicles = await t.call(token, 'GET', `/vehicles?credentials_id=${id}&limit=200`);
    expect(vehicles.json().items).toHaveLength(21);

    for (const v of vehicleIds.slice(1)) expect((await t.call(token, 'DELETE', `/vehicles/${v}`)).statusCode).toBe(204);
    const one = expectProblem(await t.call(token, 'DELETE', `/niu/credentials/${id}`), 'conflicting-resource', 409);
    expect(one).toMatchObject({ vehicle_count: 1, vehicle_ids: [vehicleIds[0]] });
    expect((await t.call(token, 'DELETE', `/vehicles/${vehicleIds[0]}`)).statusCode).toBe(204);
    expect((await t.call(token, 'DELETE', `/niu/credentials/${id}`)).statusCode).toBe(204);
  });
});
