import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { restrictedClient } from '../helpers/grants.js';

/**
 * A list item is written from the engine's JSON of the row and the stored public fields (docs/performance.md), not
 * serialized from the view object as GET is: both must say the same, and neither may carry what the view does not
 * declare.
 */
let t: TestApp;
let token: string;
const ids: { id: string; brand: string }[] = [];

beforeAll(async () => {
  t = await buildTestApp();
  token = (await t.newFleet()).token;
  const bodies: [string, Record<string, unknown>][] = [
    ['geotab', { name: 'Depot "North" \\ \u00e9t\u00e9 \u{1F697}', database: 'fleet_db', username: 'svc@example.com', password: 'pw' }],
    ['tesla', { name: '<b>Tesla</b> & co', client_id: 'tesla-client', region: 'eu', app_domain: 'fleet.example.com', client_secret: 's' }],
    ['tesla', { name: 'Tesla without domain', client_id: 'c2', region: 'na', client_secret: 's' }],
    ['niu', { name: null, client_id: 'unnamed', client_secret: 's' }],
  ];
  for (const [brand, body] of bodies) {
    const res = await t.call(token, 'POST', `/${brand}/credentials`, body);
    expect(res.statusCode, res.body).toBe(201);
    ids.push({ id: res.json().id, brand });
  }
});
afterAll(() => t?.close());

/** Every list item next to the GET of the same credential. */
async function expectItemsAsGet(caller: string, url: string) {
  const res = await t.call(caller, 'GET', url);
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const items = res.json().items as { id: string; brand: string }[];
  expect(items.map((item) => item.id).sort()).toEqual(ids.map(({ id }) => id).sort());
  for (const item of items) {
    const single = await t.call(caller, 'GET', `/${item.brand}/credentials/${item.id}`);
    expect(item).toEqual(single.json());
  }
  return items;
}

describe('a list item', () => {
  it('is the credential view a GET of the same credential reads: every member, escapes, nulls and absent settings', async () => {
    const items = await expectItemsAsGet(token, '/credentials?limit=10');
    expect(items.find((item) => item.brand === 'geotab')).toMatchObject({
      name: 'Depot "North" \\ \u00e9t\u00e9 \u{1F697}',
      database: 'fleet_db',
      server: 'my.geotab.com',
      vehicle_count: 0,
      status_checked_at: null,
    });
  });

  it('is the same through a restricted client, whose page the query builder writes', async () => {
    const restricted = (await restrictedClient(t, token, { brands: ['geotab', 'tesla', 'niu'] })).token;
    await expectItemsAsGet(restricted, '/credentials?limit=10');
  });

  it('never carries a member written into the stored fields that the brand does not declare public', async () => {
    const victim = ids.find(({ brand }) => brand === 'niu')!.id;
    const forged = JSON.stringify({ client_id: 'unnamed', client_secret: 'leaked-secret', id: 'forged-id', region: 'eu' });
    await t.deps.database.db.updateTable('credentials').set({ fields: forged }).where('id', '=', victim).execute();
    for (const url of ['/credentials', '/niu/credentials', `/niu/credentials/${victim}`]) {
      const res = await t.call(token, 'GET', url);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).not.toContain('leaked-secret');
      expect(res.body).not.toContain('forged-id');
    }
    const listed = (await t.call(token, 'GET', '/niu/credentials')).json().items[0];
    expect(listed).toMatchObject({ id: victim, client_id: 'unnamed' });
    expect(listed).not.toHaveProperty('region');
  });
});
