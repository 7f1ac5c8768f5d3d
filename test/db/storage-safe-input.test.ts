import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * Input PostgreSQL cannot store or compare (U+0000 in text, cursor numbers that
 * are not small integers) answered 500 there. It is 422 with a pointer (404 for an id), on both engines.
 */
const cursor = (json: string) => Buffer.from(json, 'utf8').toString('base64url');

describe('input PostgreSQL cannot hold is refused on every engine', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await buildTestApp();
    token = (await t.newFleet()).token;
  });
  afterAll(() => t.close());

  const expect422 = (res: Awaited<ReturnType<TestApp['call']>>, pointer: string) => {
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ type: '/problems/validation-failed', status: 422 });
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  };

  it('a client name containing U+0000 is 422 at /name', async () => {
    expect422(await t.call(token, 'POST', '/clients', { name: 'ops\u0000bot', scopes: ['credentials:read'] }), '/name');
  });

  it('U+0000 in a credential field, even a secret, is 422 at its pointer', async () => {
    expect422(await t.call(token, 'POST', '/niu/credentials', { ...niuExample, client_id: 'a\u0000b' }), '/client_id');
    expect422(await t.call(token, 'POST', '/niu/credentials', { ...niuExample, client_secret: 'a\u0000b' }), '/client_secret');
  });

  it('U+0000 in a query parameter is 422 at /query/<name>', async () => {
    expect422(await t.call(token, 'GET', '/credentials?name=a%00b'), '/query/name');
    expect422(await t.call(token, 'GET', '/credentials?q=a%00b'), '/query/q');
  });

  it('U+0000 in an id is 404, like any id that names nothing', async () => {
    for (const url of ['/niu/credentials/%00', '/clients/%00', '/vehicles/%00']) {
      const res = await t.call(token, 'GET', url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json()).toMatchObject({ type: '/problems/not-found' });
    }
  });

  for (const first of ['0.5', '1e400', '99999999999', '-99999999999']) {
    it(`a credentials cursor whose first member is ${first} is 422 at /query/cursor`, async () => {
      expect422(
        await t.call(token, 'GET', `/credentials?cursor=${cursor(`[${first},"a","01ARZ3NDEKTSV4RRFFQ69G5FAV"]`)}`),
        '/query/cursor',
      );
    });
  }

  it('cursors with U+0000 in a string member are 422 on every list', async () => {
    expect422(await t.call(token, 'GET', `/credentials?cursor=${cursor('[0,"a\\u0000","b"]')}`), '/query/cursor');
    expect422(await t.call(token, 'GET', `/clients?cursor=${cursor('["a\\u0000"]')}`), '/query/cursor');
    expect422(await t.call(token, 'GET', `/vehicles?cursor=${cursor('["a\\u0000"]')}`), '/query/cursor');
  });

  it('the token endpoint refuses U+0000 in a client id as an OAuth error, in the body and in HTTP Basic', async () => {
    const form = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&client_id=a%00b&client_secret=x',
    });
    expect([form.statusCode, form.json().error]).toEqual([400, 'invalid_request']);
    const basic = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('a\u0000b:x').toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    });
    expect([basic.statusCode, basic.json().error]).toEqual([401, 'invalid_client']);
  });

  it('a real next_cursor still pages', async () => {
    for (const name of ['p1', 'p2'])
      expect((await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name })).statusCode).toBe(201);
    const first = await t.call(token, 'GET', '/credentials?limit=1');
    const next = await t.call(token, 'GET', `/credentials?limit=1&cursor=${first.json().next_cursor}`);
    expect(next.statusCode).toBe(200);
    expect(next.json().items[0].name).not.toBe(first.json().items[0].name);
  });
});
