import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

let t: TestApp;
let token: string;
let niuA: string;
let niuB: string;
let mb: string;

const credential = async (brand: string, tok = token) => {
  const res = await t.call(tok, 'POST', `/${brand}/credentials`, { client_id: 'c', client_secret: 's' });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};

let unitSeq = 0;
const vehicle = (extra: Record<string, unknown> = {}, tok = token) =>
  t.call(tok, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `unit-${unitSeq++}`, credentials_id: niuA, ...extra });

const pointers = (problem: Record<string, unknown>) => (problem.errors as { pointer: string }[]).map((e) => e.pointer);

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
  niuA = await credential('niu');
  niuB = await credential('niu');
  mb = await credential('mercedes-benz');
});
afterAll(() => t.close());

describe('POST /vehicles', () => {
  it('answers 201 with the view and a Location', async () => {
    const res = await t.call(token, 'POST', '/vehicles', {
      telematics_brand: 'NIU',
      telematics_unit_id: ' NQT-4711 ',
      credentials_id: niuA.toLowerCase(),
      vin: 'wvwzzz1jz3w386752',
      name: ' Scooter  1 ',
    });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(ULID),
      telematics_brand: 'niu',
      telematics_unit_id: 'NQT-4711',
      credentials_id: niuA,
      vin: 'WVWZZZ1JZ3W386752',
      name: 'Scooter  1',
      created_at: expect.stringMatching(ISO),
      updated_at: body.created_at,
    });
    expect(res.headers.location).toBe(`/vehicles/${body.id}`);
    const read = await t.call(token, 'GET', res.headers.location as string);
    expect(read.json()).toEqual(body);
  });

  it('vin and name are optional (null)', async () => {
    const res = await vehicle({ vin: null });
    expect(res.json()).toMatchObject({ vin: null, name: null });
  });

  it('credentials_id of another brand, unknown, or another fleet is 422 at /credentials_id', async () => {
    const other = await t.newFleet();
    const foreign = await credential('niu', other.token);
    for (const credentials_id of [mb, '01ARZ3NDEKTSV4RRFFQ69G5FAV', foreign, 'not-a-ulid']) {
      const problem = expectProblem(await vehicle({ credentials_id }), 'validation-failed', 422);
      expect(pointers(problem)).toEqual(['/credentials_id']);
    }
  });

  it('an unknown telematics_brand is 422 at /telematics_brand', async () => {
    const problem = expectProblem(await vehicle({ telematics_brand: 'volkswagen' }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/telematics_brand']);
  });

  it('(brand, unit id) is unique in a fleet: 409 unique-identifier-already-exists; another brand or fleet may reuse it', async () => {
    expect((await vehicle({ telematics_unit_id: 'DUP-1' })).statusCode).toBe(201);
    expectProblem(await vehicle({ telematics_unit_id: 'DUP-1', credentials_id: niuB }), 'unique-identifier-already-exists', 409);
    expect((await vehicle({ telematics_brand: 'mercedes-benz', telematics_unit_id: 'DUP-1', credentials_id: mb })).statusCode).toBe(201);
    const other = await t.newFleet();
    const theirs = await credential('niu', other.token);
    expect((await vehicle({ telematics_unit_id: 'DUP-1', credentials_id: theirs }, other.token)).statusCode).toBe(201);
  });

  it.each([
    ['16 characters', 'WVWZZZ1JZ3W38675'],
    ['18 characters', 'WVWZZZ1JZ3W3867522'],
    ['the letter I', 'IVWZZZ1JZ3W386752'],
    ['the letter O', 'WVWZZZ1JZ3O386752'],
    ['the letter Q', 'WVWZZZ1JZ3Q386752'],
    ['punctuation', 'WVWZZZ1JZ3W-86752'],
    ['a number', 1234567890123456],
  ])('a vin with %s is 422 at /vin', async (_what, vin) => {
    const problem = expectProblem(await vehicle({ vin }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/vin']);
  });

  it.each([
    ['an unknown field', { color: 'red' }, '/color'],
    ['an empty unit id', { telematics_unit_id: '  ' }, '/telematics_unit_id'],
    ['a 257-character unit id', { telematics_unit_id: 'u'.repeat(257) }, '/telematics_unit_id'],
    ['a name over 100 characters', { name: 'n'.repeat(101) }, '/name'],
    ['a name with a control character', { name: 'a\u0001b' }, '/name'],
    ['a missing credentials_id', { credentials_id: undefined }, '/credentials_id'],
  ])('%s is 422', async (_what, extra, pointer) => {
    const problem = expectProblem(await vehicle(extra), 'validation-failed', 422);
    expect(pointers(problem)).toEqual([pointer]);
  });
});

describe('GET /vehicles', () => {
  it('filters by credentials_id and telematics_brand, and pages through every vehicle once', async () => {
    const { token: own } = await t.newFleet();
    const a = await credential('niu', own);
    const b = await credential('niu', own);
    const m = await credential('mercedes-benz', own);
    const made: { id: string; credentials_id: string; telematics_brand: string }[] = [];
    for (const [brand, cred] of [
      ['niu', a],
      ['niu', b],
      ['mercedes-benz', m],
      ['niu', a],
      ['niu', a],
      ['mercedes-benz', m],
      ['niu', b],
    ] as const) {
      const res = await vehicle({ telematics_brand: brand, credentials_id: cred }, own);
      made.push(res.json());
    }
    const list = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await t.call(own, 'GET', `/vehicles?limit=2${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().items.length).toBeLessThanOrEqual(2);
        ids.push(...res.json().items.map((v: { id: string }) => v.id));
        cursor = res.json().next_cursor;
      } while (cursor !== null);
      return ids;
    };
    const sorted = (rows: typeof made) => rows.map((v) => v.id).sort();
    expect(await list('')).toEqual(sorted(made));
    expect(await list(`&credentials_id=${a}`)).toEqual(sorted(made.filter((v) => v.credentials_id === a)));
    expect(await list('&telematics_brand=MERCEDES_BENZ')).toEqual(sorted(made.filter((v) => v.telematics_brand === 'mercedes-benz')));
    expect(await list(`&telematics_brand=niu&credentials_id=${b}`)).toEqual(sorted(made.filter((v) => v.credentials_id === b)));
    const all = await t.call(own, 'GET', '/vehicles');
    expect(all.json()).toEqual({ items: expect.any(Array), next_cursor: null });
    expect(all.json().items).toHaveLength(7);
  });

  it.each([
    ['limit=0', '/query/limit'],
    ['limit=201', '/query/limit'],
    ['limit=abc', '/query/limit'],
    ['cursor=bogus', '/query/cursor'],
    ['credentials_id=nope', '/query/credentials_id'],
    ['telematics_brand=volkswagen', '/query/telematics_brand'],
    ['brand=niu', '/query/brand'],
  ])('%s is 422 at %s', async (query, pointer) => {
    const problem = expectProblem(await t.call(token, 'GET', `/vehicles?${query}`), 'validation-failed', 422);
    expect(pointers(problem)).toEqual([pointer]);
  });
});

describe('GET, PATCH and DELETE /vehicles/{id}', () => {
  it('reassigns to another credential of the same brand; vehicle_count moves', async () => {
    const v = (await vehicle({ credentials_id: niuA })).json();
    const countOf = async (id: string) => (await t.call(token, 'GET', `/niu/credentials/${id}`)).json().vehicle_count as number;
    const beforeA = await countOf(niuA);
    const beforeB = await countOf(niuB);
    const res = await t.call(token, 'PATCH', `/vehicles/${v.id}`, { credentials_id: niuB });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ...v, credentials_id: niuB, updated_at: expect.stringMatching(ISO) });
    expect(await countOf(niuA)).toBe(beforeA - 1);
    expect(await countOf(niuB)).toBe(beforeB + 1);
    expect((await t.call(token, 'GET', `/vehicles/${v.id}`)).json().credentials_id).toBe(niuB);
  });

  it('changes vin and name, and clears them with null', async () => {
    const v = (await vehicle({ vin: 'WVWZZZ1JZ3W386752', name: 'old' })).json();
    const renamed = await t.call(token, 'PATCH', `/vehicles/${v.id}`, { name: 'new', vin: '1HGCM82633A004352' });
    expect(renamed.json()).toMatchObject({ name: 'new', vin: '1HGCM82633A004352' });
    const cleared = await t.call(token, 'PATCH', `/vehicles/${v.id}`, { name: null, vin: null });
    expect(cleared.json()).toMatchObject({ name: null, vin: null, credentials_id: niuA });
  });

  it.each([
    ['a credential of another brand', () => ({ credentials_id: mb }), '/credentials_id'],
    ['an unknown credential', () => ({ credentials_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV' }), '/credentials_id'],
    ['telematics_brand', () => ({ telematics_brand: 'mercedes-benz' }), '/telematics_brand'],
    ['telematics_unit_id', () => ({ telematics_unit_id: 'other' }), '/telematics_unit_id'],
    ['a bad vin', () => ({ vin: 'short' }), '/vin'],
    ['an empty body', () => ({}), ''],
  ])('refuses %s: 422 and nothing changes', async (_what, body, pointer) => {
    const v = (await vehicle()).json();
    const problem = expectProblem(await t.call(token, 'PATCH', `/vehicles/${v.id}`, body()), 'validation-failed', 422);
    expect(pointers(problem)).toEqual([pointer]);
    expect((await t.call(token, 'GET', `/vehicles/${v.id}`)).json()).toEqual(v);
  });

  it('refuses a credential of another fleet', async () => {
    const other = await t.newFleet();
    const foreign = await credential('niu', other.token);
    const v = (await vehicle()).json();
    const problem = expectProblem(await t.call(token, 'PATCH', `/vehicles/${v.id}`, { credentials_id: foreign }), 'validation-failed', 422);
    expect(pointers(problem)).toEqual(['/credentials_id']);
  });

  it('DELETE answers 204, then 404; the credential can then be deleted', async () => {
    const cred = await credential('niu');
    const v = (await vehicle({ credentials_id: cred })).json();
    expectProblem(await t.call(token, 'DELETE', `/niu/credentials/${cred}`), 'conflicting-resource', 409);
    const res = await t.call(token, 'DELETE', `/vehicles/${v.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expectProblem(await t.call(token, 'DELETE', `/vehicles/${v.id}`), 'not-found', 404);
    expectProblem(await t.call(token, 'GET', `/vehicles/${v.id}`), 'not-found', 404);
    expect((await t.call(token, 'DELETE', `/niu/credentials/${cred}`)).statusCode).toBe(204);
  });

  it('unknown, malformed and over-long ids are 404 on GET, PATCH and DELETE', async () => {
    for (const id of ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'nope', 'x'.repeat(90), 'x'.repeat(300)]) {
      expectProblem(await t.call(token, 'GET', `/vehicles/${id}`), 'not-found', 404);
      expectProblem(await t.call(token, 'PATCH', `/vehicles/${id}`, { name: 'x' }), 'not-found', 404);
      expectProblem(await t.call(token, 'DELETE', `/vehicles/${id}`), 'not-found', 404);
    }
  });
});
