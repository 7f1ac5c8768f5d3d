import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t.close());

interface Item {
  id: string;
  name: string | null;
  brand: string;
  vehicle_count: number;
}

/** A fleet holding the given (brand, name) credentials; returns its token and the created views. */
async function fleetWith(entries: [string, string | null][]) {
  const { token } = await t.newFleet();
  const views: Item[] = [];
  for (const [brand, name] of entries) {
    const res = await t.call(token, 'POST', `/${brand}/credentials`, { name, client_id: `c-${views.length}`, client_secret: 's' });
    expect(res.statusCode, res.body).toBe(201);
    views.push(res.json());
  }
  return { token, views };
}

/** The order the contract promises: name case-insensitively, unnamed last, then id. */
const expectedOrder = (views: Item[]) =>
  [...views]
    .sort((a, b) => {
      if (a.name === null || b.name === null) return (a.name === null ? 1 : 0) - (b.name === null ? 1 : 0) || (a.id < b.id ? -1 : 1);
      const ka = a.name.toLowerCase();
      const kb = b.name.toLowerCase();
      return ka < kb ? -1 : ka > kb ? 1 : a.id < b.id ? -1 : 1;
    })
    .map((v) => v.id);

async function walk(token: string, url: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res = await t.call(token, 'GET', `${url}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json() as { items: Item[]; next_cursor: string | null };
    expect(body.items.length).toBeLessThanOrEqual(limit);
    ids.push(...body.items.map((i) => i.id));
    cursor = body.next_cursor;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (cursor !== null);
  return { ids, pages };
}

const mixed: [string, string | null][] = [
  ['niu', 'bravo'],
  ['mercedes-benz', null],
  ['niu', 'Alpha'],
  ['niu', null],
  ['smartcar', 'charlie'],
  ['niu', 'ALPHA two'],
  ['niu', null],
];

describe('GET /{brand}/credentials and GET /credentials', () => {
  it('sorts by name case-insensitively, unnamed last, then id; the shape is {items, next_cursor}', async () => {
    const { token, views } = await fleetWith(mixed);
    const all = await t.call(token, 'GET', '/credentials');
    expect(all.statusCode).toBe(200);
    expect(all.headers['cache-control']).toBe('no-store');
    expect(all.json()).toEqual({ items: expect.any(Array), next_cursor: null });
    expect(all.json().items.map((i: Item) => i.id)).toEqual(expectedOrder(views));
    expect(all.json().items.map((i: Item) => i.name)).toEqual(['Alpha', 'ALPHA two', 'bravo', 'charlie', null, null, null]);

    const niu = await t.call(token, 'GET', '/niu/credentials');
    expect(niu.json().items.map((i: Item) => i.id)).toEqual(expectedOrder(views.filter((v) => v.brand === 'niu')));
    const filtered = await t.call(token, 'GET', '/credentials?brand=NIU');
    expect(filtered.json().items).toEqual(niu.json().items);
  });

  it('walks every item exactly once with a page size of 2, on both list routes', async () => {
    const { token, views } = await fleetWith(mixed);
    const across = await walk(token, '/credentials', 2);
    expect(across.ids).toEqual(expectedOrder(views));
    expect(across.pages).toBe(4);
    const niu = await walk(token, '/niu/credentials', 2);
    expect(niu.ids).toEqual(expectedOrder(views.filter((v) => v.brand === 'niu')));
    const one = await walk(token, '/credentials?brand=niu', 1);
    expect(one.ids).toEqual(niu.ids);
  });

  it('ends with next_cursor null when the last page is exactly full', async () => {
    const { token } = await fleetWith([
      ['niu', 'a'],
      ['niu', 'b'],
    ]);
    const res = await t.call(token, 'GET', '/niu/credentials?limit=2');
    expect(res.json().items).toHaveLength(2);
    expect(res.json().next_cursor).toBeNull();
  });

  it('a page does not skip or repeat items created or deleted between pages', async () => {
    const { token, views } = await fleetWith(mixed);
    const first = (await t.call(token, 'GET', '/credentials?limit=3')).json();
    const order = expectedOrder(views);
    expect(first.items.map((i: Item) => i.id)).toEqual(order.slice(0, 3));
    // Deleting an item already seen does not shift the rest.
    expect((await t.call(token, 'DELETE', `/${first.items[0].brand}/credentials/${first.items[0].id}`)).statusCode).toBe(204);
    const second = (await t.call(token, 'GET', `/credentials?limit=3&cursor=${encodeURIComponent(first.next_cursor)}`)).json();
    expect(second.items.map((i: Item) => i.id)).toEqual(order.slice(3, 6));
    // An item created after the cursor's position still shows up on a later page, exactly once.
    const late = await t.call(token, 'POST', '/niu/credentials', { name: null, client_id: 'late', client_secret: 's' });
    const third = (await t.call(token, 'GET', `/credentials?limit=3&cursor=${encodeURIComponent(second.next_cursor)}`)).json();
    expect(third.items.map((i: Item) => i.id)).toEqual([...order.slice(6), late.json().id]);
    expect(third.next_cursor).toBeNull();
  });

  it('limit defaults to 50 and accepts 1..200', async () => {
    const { token } = await fleetWith(Array.from({ length: 52 }, (_, i): [string, string | null] => ['niu', i % 2 ? `n${i}` : null]));
    const page = (await t.call(token, 'GET', '/credentials')).json();
    expect(page.items).toHaveLength(50);
    expect(page.next_cursor).toEqual(expect.any(String));
    expect((await t.call(token, 'GET', '/credentials?limit=200')).json().items).toHaveLength(52);
    expect((await t.call(token, 'GET', '/niu/credentials?limit=1')).json().items).toHaveLength(1);
  });

  it.each(['0', '201', 'abc', '-1', '1.5', ''])('limit=%s is 422 at /query/limit', async (limit) => {
    const { token } = await t.newFleet();
    for (const url of [`/credentials?limit=${limit}`, `/niu/credentials?limit=${limit}`]) {
      const problem = expectProblem(await t.call(token, 'GET', url), 'validation-failed', 422);
      expect(problem.errors).toEqual([{ pointer: '/query/limit', detail: expect.any(String) }]);
    }
  });

  it.each([
    ['garbage', 'not-a-cursor!!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['a wrong shape', Buffer.from(JSON.stringify(['x'])).toString('base64url')],
    ['wrong member types', Buffer.from(JSON.stringify(['0', 1, 2])).toString('base64url')],
    ['an object', Buffer.from(JSON.stringify({ a: 1 })).toString('base64url')],
  ])('a cursor that is %s is 422 at /query/cursor', async (_what, cursor) => {
    const { token } = await t.newFleet();
    for (const url of ['/credentials', '/niu/credentials']) {
      const problem = expectProblem(await t.call(token, 'GET', `${url}?cursor=${encodeURIComponent(cursor)}`), 'validation-failed', 422);
      expect(problem.errors).toEqual([{ pointer: '/query/cursor', detail: expect.any(String) }]);
    }
  });

  it('an unknown brand is 404 unknown-brand even with a cursor this API never returned', async () => {
    const { token } = await t.newFleet();
    for (const url of ['/no-such-brand/credentials?cursor=garbage', '/credentials?brand=no-such-brand&cursor=garbage']) {
      expectProblem(await t.call(token, 'GET', url), 'unknown-brand', 404);
    }
  });

  it('an unknown query parameter is 422 naming it', async () => {
    const { token } = await t.newFleet();
    for (const url of ['/credentials?nmae=x', '/niu/credentials?nmae=x', '/niu/credentials?brand=niu']) {
      const problem = expectProblem(await t.call(token, 'GET', url), 'validation-failed', 422);
      expect(problem.errors).toEqual([{ pointer: expect.stringMatching(/^\/query\/(nmae|brand)$/), detail: expect.any(String) }]);
    }
  });
});

describe('filters', () => {
  it('name is an exact, case-insensitive match (trimmed, NFC)', async () => {
    const { token, views } = await fleetWith([
      ['niu', 'Berlin'],
      ['niu', 'Berlin North'],
      ['smartcar', 'Caf\u00e9'],
      ['niu', null],
    ]);
    const ids = async (url: string) => (await t.call(token, 'GET', url)).json().items.map((i: Item) => i.id);
    expect(await ids('/credentials?name=BERLIN')).toEqual([views[0]!.id]);
    expect(await ids('/niu/credentials?name=%20berlin%20')).toEqual([views[0]!.id]);
    expect(await ids('/credentials?name=berl')).toEqual([]);
    expect(await ids(`/credentials?name=${encodeURIComponent('CAFE\u0301')}`)).toEqual([views[2]!.id]);
    expect(await ids('/niu/credentials?name=caf%C3%A9')).toEqual([]);
  });

  it('q is a case-insensitive substring; % and _ are literal characters', async () => {
    const { token, views } = await fleetWith([
      ['niu', 'Berlin depot'],
      ['niu', 'hamburg DEPOT'],
      ['niu', '100% uptime'],
      ['niu', '100 percent'],
      ['niu', 'fleet_a'],
      ['niu', 'fleetXa'],
      ['niu', 'back\\slash'],
      ['niu', null],
    ]);
    const names = async (q: string, base = '/credentials') =>
      (await t.call(token, 'GET', `${base}?q=${encodeURIComponent(q)}`)).json().items.map((i: Item) => i.name);
    expect(await names('DEPOT')).toEqual(['Berlin depot', 'hamburg DEPOT']);
    expect(await names('%')).toEqual(['100% uptime']);
    expect(await names('0%')).toEqual(['100% uptime']);
    expect(await names('_')).toEqual(['fleet_a']);
    expect(await names('t_a')).toEqual(['fleet_a']);
    expect(await names('\\')).toEqual(['back\\slash']);
    expect(await names('nothing')).toEqual([]);
    // A name search never matches a credential without a name.
    expect(await names('')).toEqual(['100 percent', '100% uptime', 'back\\slash', 'Berlin depot', 'fleet_a', 'fleetXa', 'hamburg DEPOT']);
    expect(await names('depot', '/niu/credentials')).toHaveLength(2);
    expect(await names('depot', '/smartcar/credentials')).toEqual([]);
    expect(views).toHaveLength(8);
  });

  it('q pages like the full list', async () => {
    const { token, views } = await fleetWith(Array.from({ length: 7 }, (_, i): [string, string | null] => ['niu', `Depot ${7 - i}`]));
    const { ids } = await walk(token, '/credentials?q=depot', 2);
    expect(ids).toEqual(expectedOrder(views));
  });
});

describe('vehicle_count', () => {
  it('reflects the vehicles referencing each credential in lists and single reads', async () => {
    const { token, views } = await fleetWith([
      ['niu', 'one'],
      ['niu', 'two'],
    ]);
    const [a, b] = views as [Item, Item];
    const vehicle = async (unit: string, credentials_id: string) =>
      (await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: unit, credentials_id })).json().id as string;
    await vehicle('u1', a.id);
    await vehicle('u2', a.id);
    const moved = await vehicle('u3', b.id);
    const counts = async () => (await t.call(token, 'GET', '/niu/credentials')).json().items.map((i: Item) => i.vehicle_count);
    expect(await counts()).toEqual([2, 1]);
    expect((await t.call(token, 'GET', `/niu/credentials/${a.id}`)).json().vehicle_count).toBe(2);
    expect((await t.call(token, 'PATCH', `/vehicles/${moved}`, { credentials_id: a.id })).statusCode).toBe(200);
    expect(await counts()).toEqual([3, 0]);
    expect((await t.call(token, 'DELETE', `/vehicles/${moved}`)).statusCode).toBe(204);
    expect(await counts()).toEqual([2, 0]);
  });
});

describe('fleet scope', () => {
  it('lists only the caller fleet', async () => {
    const first = await fleetWith([['niu', 'mine']]);
    const second = await fleetWith([['niu', 'theirs']]);
    expect((await t.call(first.token, 'GET', '/credentials')).json().items.map((i: Item) => i.name)).toEqual(['mine']);
    expect((await t.call(second.token, 'GET', '/niu/credentials?q=mine')).json().items).toEqual([]);
  });
});
