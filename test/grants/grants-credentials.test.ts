import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';
import { restrictedClient, teslaExample } from '../helpers/grants.js';

/**
 * Grants narrower than a fleet (docs/grants.md): a client restricted by brand or by credential id
 * reaches only those credentials; the others answer as another fleet's would.
 */
let t: TestApp;
let admin: string;
const ids = { niuA: '', niuB: '', tesla: '' };
let niuOnly: string;
let idOnly: string;

beforeAll(async () => {
  t = await buildTestApp();
  admin = (await t.newFleet()).token;
  ids.niuA = (await t.call(admin, 'POST', '/niu/credentials', { ...niuExample, name: 'a niu' })).json().id;
  ids.tesla = (await t.call(admin, 'POST', '/tesla/credentials', { ...teslaExample, name: 'b tesla' })).json().id;
  ids.niuB = (await t.call(admin, 'POST', '/niu/credentials', { ...niuExample, name: 'c niu', client_id: 'other' })).json().id;
  // A second version of the Tesla credential, so there is a version to restore.
  expect((await t.call(admin, 'PATCH', `/tesla/credentials/${ids.tesla}`, { client_secret: 'rotated' })).statusCode).toBe(200);
  niuOnly = (await restrictedClient(t, admin, { brands: ['niu'] })).token;
  idOnly = (await restrictedClient(t, admin, { credential_ids: [ids.niuB.toLowerCase()] })).token;
});
afterAll(() => t?.close());

const idsOf = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((item) => item.id);

describe('a client restricted to NIU', () => {
  it('lists only NIU credentials, across brands and per brand', async () => {
    expect(idsOf(await t.call(niuOnly, 'GET', '/credentials'))).toEqual([ids.niuA, ids.niuB]);
    expect(idsOf(await t.call(niuOnly, 'GET', '/credentials?brand=tesla'))).toEqual([]);
    expect(idsOf(await t.call(niuOnly, 'GET', '/tesla/credentials'))).toEqual([]);
    expect(idsOf(await t.call(niuOnly, 'GET', '/niu/credentials'))).toEqual([ids.niuA, ids.niuB]);
  });

  it('reads, reveals and versions its NIU credential', async () => {
    expect((await t.call(niuOnly, 'GET', `/niu/credentials/${ids.niuA}`)).statusCode).toBe(200);
    expect((await t.call(niuOnly, 'GET', `/niu/credentials/${ids.niuA}/secrets`)).json().secrets).toEqual({ client_secret: 'supersecret' });
    expect((await t.call(niuOnly, 'GET', `/niu/credentials/${ids.niuA}/versions`)).statusCode).toBe(200);
  });

  it('cannot read, reveal, exchange, version, rotate, restore or delete the Tesla credential: 404 not-found', async () => {
    const base = `/tesla/credentials/${ids.tesla}`;
    const attempts: [string, string, unknown?][] = [
      ['GET', base],
      ['GET', `${base}/secrets`],
      ['GET', `${base}/secrets?format=env`],
      ['GET', `${base}/secrets?version=1`],
      ['POST', `${base}/token`],
      ['GET', `${base}/versions`],
      ['PATCH', base, { client_secret: 'stolen' }],
      ['POST', `${base}/versions/1/restore`],
      ['DELETE', base],
      ['GET', `${base}/public-key`],
    ];
    for (const [method, url, body] of attempts) {
      const res = await t.call(niuOnly, method, url, body);
      try {
        expectProblem(res, 'not-found', 404);
      } catch (error) {
        throw new Error(`${method} ${url}: ${(error as Error).message}`);
      }
      expect(res.body).not.toContain('tesla-secret');
    }
    // Nothing changed: still version 2 with the admin's secret.
    const revealed = (await t.call(admin, 'GET', `${base}/secrets`)).json();
    expect([revealed.secret_version, revealed.secrets.client_secret]).toEqual([2, 'rotated']);
  });

  it('creates NIU credentials but not Tesla ones (404 not-found)', async () => {
    expectProblem(await t.call(niuOnly, 'POST', '/tesla/credentials', { ...teslaExample, name: 'mine' }), 'not-found', 404);
    const created = await t.call(niuOnly, 'POST', '/niu/credentials', { ...niuExample, name: 'made by niu client' });
    expect(created.statusCode).toBe(201);
    expect((await t.call(admin, 'DELETE', `/niu/credentials/${created.json().id}`)).statusCode).toBe(204);
  });
});

describe('a client restricted to credential ids', () => {
  it('sees only its ids, in lists and by id', async () => {
    expect(idsOf(await t.call(idOnly, 'GET', '/credentials'))).toEqual([ids.niuB]);
    expect(idsOf(await t.call(idOnly, 'GET', '/niu/credentials'))).toEqual([ids.niuB]);
    expect((await t.call(idOnly, 'GET', `/niu/credentials/${ids.niuB}`)).statusCode).toBe(200);
    expectProblem(await t.call(idOnly, 'GET', `/niu/credentials/${ids.niuA}`), 'not-found', 404);
    expectProblem(await t.call(idOnly, 'GET', `/niu/credentials/${ids.niuA}/secrets`), 'not-found', 404);
  });

  it('cannot create a credential: 403 insufficient-scope (a new credential has no id yet)', async () => {
    expectProblem(await t.call(idOnly, 'POST', '/niu/credentials', { ...niuExample, name: 'new' }), 'insufficient-scope', 403);
  });

  it('with brands too, a credential must match both', async () => {
    const both = (await restrictedClient(t, admin, { brands: ['tesla'], credential_ids: [ids.niuA, ids.tesla] })).token;
    expect(idsOf(await t.call(both, 'GET', '/credentials'))).toEqual([ids.tesla]);
    expectProblem(await t.call(both, 'GET', `/niu/credentials/${ids.niuA}`), 'not-found', 404);
  });
});

describe('paging through a mixed list', () => {
  it('with limit=1 never returns an outside item, an empty page or a count of them', async () => {
    // Interleave outside credentials between the NIU ones, so a filter after the read would show gaps.
    for (const name of ['a2', 'b2', 'c2']) await t.call(admin, 'POST', '/tesla/credentials', { ...teslaExample, name });
    const seen: string[] = [];
    let url = '/credentials?limit=1';
    for (let page = 0; page < 10; page++) {
      const res = await t.call(niuOnly, 'GET', url);
      const body = res.json();
      expect(Object.keys(body).sort()).toEqual(['items', 'next_cursor']);
      expect(body.items).toHaveLength(1);
      seen.push(body.items[0].id);
      if (body.next_cursor === null) break;
      url = `/credentials?limit=1&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(seen).toEqual([ids.niuA, ids.niuB]);
  });
});
