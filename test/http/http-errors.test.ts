import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

const post = (payload: string | Buffer, contentType: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url: '/niu/credentials',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType, ...headers },
    payload,
  });

/** A problem's request_id is the X-Request-Id header, and no secret leaks into it. */
function expectRequestId(res: LightMyRequestResponse) {
  const id = res.headers['x-request-id'];
  expect(id).toEqual(expect.any(String));
  if (String(res.headers['content-type']).startsWith('application/problem+json')) expect(res.json().request_id).toBe(id);
  return id as string;
}

describe('request bodies', () => {
  it('malformed JSON is 400 malformed-request', async () => {
    for (const payload of ['{"client_id": "c",', '{client_id: c}', 'nul']) {
      const res = await post(payload, 'application/json');
      expectProblem(res, 'malformed-request', 400);
      expectRequestId(res);
    }
  });

  it.each([
    ['a duplicate member', '{"client_id":"c","client_secret":"first","client_secret":"second"}'],
    ['a duplicate spelled with an escape', '{"client_id":"c","client_secret":"s","\\u0063lient_id":"d"}'],
    ['a nested duplicate', '{"client_id":"c","client_secret":"s","name":null,"x":{"a":1,"a":2}}'],
    ['a __proto__ member', '{"client_id":"c","client_secret":"s","__proto__":{"admin":true}}'],
    ['a constructor.prototype member', '{"client_id":"c","client_secret":"s","constructor":{"prototype":{"admin":true}}}'],
  ])('%s is 400 malformed-request, so no value is silently dropped', async (_what, payload) => {
    const res = await post(payload, 'application/json');
    expectProblem(res, 'malformed-request', 400);
    expect(res.body).not.toContain('first');
  });

  it('member names inside string values and escapes do not confuse the duplicate check', async () => {
    const payload = '{"name":"client_id \\"quoted\\" \\\\","client_id":"{\\"client_id\\":1}","client_secret":"[\\"client_secret\\"]"}';
    const res = await post(payload, 'application/json');
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ name: 'client_id "quoted" \\', client_id: '{"client_id":1}' });
  });

  it('an empty JSON body is 400 malformed-request', async () => {
    expectProblem(await post('', 'application/json'), 'malformed-request', 400);
  });

  it.each([
    ['text/plain', JSON.stringify(niuExample)],
    ['application/x-www-form-urlencoded', 'client_id=client1&client_secret=supersecret'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="client_id"\r\n\r\nc\r\n--x--\r\n'],
    ['application/xml', '<credential/>'],
  ])('%s is 415 unsupported-media-type and stores nothing', async (contentType, payload) => {
    const res = await post(payload, contentType);
    expectProblem(res, 'unsupported-media-type', 415);
    expect(res.body).not.toContain('supersecret');
    expectRequestId(res);
    expect((await t.call(token, 'GET', '/niu/credentials?name=NIU%20fleet%20Berlin')).json().items).toEqual([]);
  });

  it('JSON with a charset parameter is accepted', async () => {
    const res = await post(JSON.stringify({ client_id: 'c', client_secret: 's' }), 'application/json; charset=utf-8');
    expect(res.statusCode).toBe(201);
  });

  it('a body over 64 KiB is 413 payload-too-large; just under is parsed', async () => {
    const big = JSON.stringify({ client_id: 'c', client_secret: 's', pad: 'x'.repeat(64 * 1024) });
    const res = await post(big, 'application/json');
    expectProblem(res, 'payload-too-large', 413);
    expectRequestId(res);
    const under = JSON.stringify({ client_id: 'c', client_secret: 's', pad: 'x'.repeat(60 * 1024) });
    // Parsed, then refused for the unknown field: the limit is the only reason for a 413.
    expectProblem(await post(under, 'application/json'), 'validation-failed', 422);
  });
});

describe('DELETE without a body', () => {
  it.each(['application/json', 'text/plain', 'application/x-www-form-urlencoded'])('ignores a Content-Type of %s', async (contentType) => {
    const url = (await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' })).headers.location as string;
    const res = await t.app.inject({ method: 'DELETE', url, headers: { authorization: `Bearer ${token}`, 'content-type': contentType } });
    expect(res.statusCode, res.body).toBe(204);
    const vehicleCred = (await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' })).json().id;
    const vehicle = await t.call(token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: `del-${contentType}`,
      credentials_id: vehicleCred,
    });
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/vehicles/${vehicle.json().id}`,
      headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    });
    expect(del.statusCode, del.body).toBe(204);
  });
});

describe('routes', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/niu/credentials/01ARZ3NDEKTSV4RRFFQ69G5FAV/extra'],
    ['POST', '/credentials'],
    ['PUT', '/niu/credentials'],
  ])('%s %s is 404 not-found', async (method, url) => {
    const res = await t.call(token, method, url, method === 'GET' ? undefined : {});
    const problem = expectProblem(res, 'not-found', 404);
    expect(problem.request_id).toBe(res.headers['x-request-id']);
  });

  it('a URL with broken percent-encoding is 400 malformed-request with a request id', async () => {
    const res = await t.call(token, 'GET', '/niu/credentials/%zz');
    expectProblem(res, 'malformed-request', 400);
    expectRequestId(res);
  });
});

describe('X-Request-Id', () => {
  it('is on every response: success, 4xx from validation and auth, 404, 415, 413', async () => {
    const responses = [
      await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' }),
      await t.call(token, 'GET', '/credentials'),
      await t.call(token, 'POST', '/niu/credentials', { bad: 1 }),
      await t.app.inject({ method: 'GET', url: '/credentials' }),
      await t.call('not-a-jwt', 'GET', '/credentials'),
      await t.call(token, 'GET', '/does-not-exist'),
      await post('x', 'text/plain'),
      await t.app.inject({ method: 'GET', url: '/brands' }),
      await t.app.inject({ method: 'GET', url: '/healthz' }),
    ];
    const ids = responses.map((res) => {
      const id = expectRequestId(res);
      expect(id).toMatch(ULID);
      return id;
    });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('answers its own id even for a well-formed incoming one (kept only as client_request_id), on success and on a problem', async () => {
    for (const incoming of ['req-123', 'a1b2c3d4.e5:f6_g7', 'x'.repeat(128)]) {
      const ok = await t.call(token, 'GET', '/credentials', undefined, { 'x-request-id': incoming });
      expect(ok.headers['x-request-id']).toMatch(ULID);
      const problem = await t.call(token, 'GET', '/nowhere', undefined, { 'x-request-id': incoming });
      expect(problem.headers['x-request-id']).toMatch(ULID);
      expect(problem.json().request_id).toBe(problem.headers['x-request-id']);
    }
  });

  it('replaces a malformed incoming id with its own', async () => {
    for (const incoming of ['has spaces in it', 'x'.repeat(300), '<script>', 'new\u00e9']) {
      const res = await t.call(token, 'GET', '/nowhere', undefined, { 'x-request-id': incoming });
      expect(res.headers['x-request-id']).toMatch(ULID);
      expect(res.json().request_id).toBe(res.headers['x-request-id']);
    }
  });
});

describe('Cache-Control', () => {
  it('is no-store on every credential response, success or failure', async () => {
    const created = await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' });
    const url = created.headers.location as string;
    const responses = [
      created,
      await t.call(token, 'GET', url),
      await t.call(token, 'GET', '/niu/credentials'),
      await t.call(token, 'GET', '/credentials'),
      await t.call(token, 'PATCH', url, { client_secret: 's2' }),
      await t.call(token, 'PATCH', url, { client_id: 'x' }),
      await t.call(token, 'DELETE', url),
    ];
    for (const res of responses) expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('problem bodies', () => {
  it('carry type, title, status, detail and request_id', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', { client_id: 'c' });
    const problem = expectProblem(res, 'validation-failed', 422);
    expect(problem).toEqual({
      type: '/problems/validation-failed',
      title: expect.any(String),
      status: 422,
      detail: expect.any(String),
      request_id: res.headers['x-request-id'],
      errors: [{ pointer: '/client_secret', detail: 'is required' }],
    });
  });
});

describe('deeply nested bodies', () => {
  it('answer 400 malformed-request, not 500, at any depth past 32 levels', async () => {
    const deep = '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000);
    const res = await t.call(token, 'POST', '/niu/credentials', deep, { 'content-type': 'application/json' });
    expect(expectProblem(res, 'malformed-request', 400).detail).toMatch(/nests deeper than 32/);
    const shallow = await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's', extra: { a: { b: 1 } } });
    expectProblem(shallow, 'validation-failed', 422);
  });
});
