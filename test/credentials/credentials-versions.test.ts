import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/core/scopes.js';
import type { Store } from '../../src/db/store.js';
import type { Repos } from '../../src/repos.js';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/** Secret versions (docs/design.md §2.8): rotations keep the earlier sealed secrets, the last N of them, restorable. */
let t: TestApp;
let token: string;
let clientId: string;
const scopes: Scope[] = ['credentials:read', 'credentials:write', 'credentials:reveal', 'audit:read'];

beforeAll(async () => {
  t = await buildTestApp({ env: { FLEETVAULT_SECRET_VERSIONS_KEPT: '3' } });
  const fleet = await t.newFleet(scopes);
  token = fleet.token;
  clientId = fleet.clientId;
});

afterAll(async () => {
  await t?.close();
});

async function credentialRotated(times: number): Promise<string> {
  const id = (await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: null, client_secret: 'v1' })).json().id;
  for (let v = 2; v <= times + 1; v++)
    expect((await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: `v${v}` })).statusCode).toBe(200);
  return id;
}

const reveal = (id: string, version?: number) =>
  t.call(token, 'GET', `/niu/credentials/${id}/secrets${version === undefined ? '' : `?version=${version}`}`);

describe('secret versions', () => {
  it('lists current, previous and retained versions, newest first, with who made each', async () => {
    const id = await credentialRotated(2);
    const res = await t.call(token, 'GET', `/niu/credentials/${id}/versions`);
    expect(res.statusCode).toBe(200);
    const { items } = res.json();
    expect(items.map((v: { secret_version: number; state: string }) => [v.secret_version, v.state])).toEqual([
      [3, 'current'],
      [2, 'previous'],
      [1, 'retained'],
    ]);
    for (const item of items) {
      expect(item.created_by).toEqual({ type: 'client', id: clientId });
      expect(Object.keys(item).sort()).toEqual(['created_at', 'created_by', 'secret_version', 'state']);
    }
    expect(res.body).not.toMatch(/v[123]"/);
  });

  it('reveals a kept earlier version with ?version=N, each sealed under its own version', async () => {
    const id = await credentialRotated(2);
    expect((await reveal(id, 1)).json()).toMatchObject({ secret_version: 1, secrets: { client_secret: 'v1' } });
    expect((await reveal(id, 2)).json()).toMatchObject({ secret_version: 2, secrets: { client_secret: 'v2' } });
    expect((await reveal(id)).json()).toMatchObject({ secret_version: 3, secrets: { client_secret: 'v3' } });
  });

  it('keeps only the last FLEETVAULT_SECRET_VERSIONS_KEPT versions: older ones are destroyed (404)', async () => {
    const id = await credentialRotated(5);
    const { items } = (await t.call(token, 'GET', `/niu/credentials/${id}/versions`)).json();
    expect(items.map((v: { secret_version: number }) => v.secret_version)).toEqual([6, 5, 4]);
    expectProblem(await reveal(id, 3), 'not-found', 404);
    expectProblem(await reveal(id, 7), 'not-found', 404);
    const rows = await t.deps.database.db
      .selectFrom('credential_secret_versions')
      .select('secret_version')
      .where('credential_id', '=', id)
      .execute();
    expect(rows.map((r) => r.secret_version).sort()).toEqual([4, 5]);
  });

  it('restores version n as a new current version N+1, recorded as credential.restored', async () => {
    const id = await credentialRotated(2);
    const read = await t.call(token, 'GET', `/niu/credentials/${id}`);
    const res = await t.call(token, 'POST', `/niu/credentials/${id}/versions/1/restore`, undefined, {
      'if-match': read.headers.etag as string,
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, secret_version: 4 });
    expect(res.headers.etag).toBeDefined();
    expect(res.headers.etag).not.toBe(read.headers.etag);
    expect((await reveal(id)).json()).toMatchObject({ secret_version: 4, secrets: { client_secret: 'v1' } });
    const [event] = (await t.call(token, 'GET', '/audit?limit=1&action=credential.restored')).json().items;
    expect(event).toMatchObject({ target: { id }, details: { secret_version: 4, restored_from: 1 } });
  });

  it(
    'refuses a restore with a stale ETag (412), of a destroyed or unknown version (404), and without credentials:write ' + '(403)',
    async () => {
      const id = await credentialRotated(1);
      const stale = (await t.call(token, 'GET', `/niu/credentials/${id}`)).headers.etag as string;
      await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'v3' });
      expectProblem(
        await t.call(token, 'POST', `/niu/credentials/${id}/versions/1/restore`, undefined, { 'if-match': stale }),
        'precondition-failed',
        412,
      );
      for (const n of ['9', '0', 'abc', '-1', '1.5']) {
        expectProblem(await t.call(token, 'POST', `/niu/credentials/${id}/versions/${n}/restore`), 'not-found', 404);
      }
      const reader = await t.tokenFor((await t.call(token, 'GET', '/audit/head')).json().fleet_id, ['credentials:read']);
      expectProblem(await t.call(reader, 'POST', `/niu/credentials/${id}/versions/1/restore`), 'insufficient-scope', 403);
      expect((await t.call(token, 'GET', `/niu/credentials/${id}`)).json().secret_version).toBe(3);
    },
  );

  /** Runs a rotation of `id` just before the next write's first transaction: the write read the version before it. */
  function rotateBeforeNextTransaction(id: string, secret: string): void {
    const store = t.deps.store as { transaction: Store<Repos>['transaction'] };
    const original = store.transaction;
    store.transaction = async (fn) => {
      store.transaction = original;
      expect((await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: secret })).statusCode).toBe(200);
      return original(fn);
    };
  }

  it('a restore that loses the race to a rotation retries on the new version, as a PATCH does; with If-Match it is 412', async () => {
    const id = await credentialRotated(1);
    rotateBeforeNextTransaction(id, 'v3-in-race');
    const res = await t.call(token, 'POST', `/niu/credentials/${id}/versions/1/restore`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id, secret_version: 4 });
    expect((await reveal(id)).json()).toMatchObject({ secret_version: 4, secrets: { client_secret: 'v1' } });
    expect((await reveal(id, 3)).json()).toMatchObject({ secrets: { client_secret: 'v3-in-race' } });
    const events = (await t.call(token, 'GET', '/audit?limit=50&action=credential.restored')).json().items;
    expect(events.filter((e: { target: { id: string } }) => e.target.id === id)).toHaveLength(1);

    const etag = (await t.call(token, 'GET', `/niu/credentials/${id}`)).headers.etag as string;
    rotateBeforeNextTransaction(id, 'v5-in-race');
    const pinned = await t.call(token, 'POST', `/niu/credentials/${id}/versions/3/restore`, undefined, { 'if-match': etag });
    expectProblem(pinned, 'precondition-failed', 412);
    expect((await reveal(id)).json()).toMatchObject({ secret_version: 5, secrets: { client_secret: 'v5-in-race' } });
  });

  it('destroys every kept version with its credential', async () => {
    const id = await credentialRotated(2);
    expect((await t.call(token, 'DELETE', `/niu/credentials/${id}`)).statusCode).toBe(204);
    const rows = await t.deps.database.db
      .selectFrom('credential_secret_versions')
      .select('secret_version')
      .where('credential_id', '=', id)
      .execute();
    expect(rows).toEqual([]);
    expectProblem(await t.call(token, 'GET', `/niu/credentials/${id}/versions`), 'not-found', 404);
  });
});
