import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * docs/design.md §1: a caller only ever sees its own fleet; another fleet's resource answers 404,
 * never 403, on every route.
 */
describe('tenant isolation', () => {
  let t: TestApp;
  let a: { token: string; fleetId: string };
  let b: { token: string; fleetId: string };
  let credA: string;
  let credA2: string;
  let vehicleA: string;
  let credB: string;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await t.newFleet();
    b = await t.newFleet();
    credA = (await t.call(a.token, 'POST', '/niu/credentials', niuExample)).json().id;
    credA2 = (
      await t.call(a.token, 'POST', '/niu/credentials', { name: 'A spare', client_id: 'a-spare', client_secret: 'a-spare-secret' })
    ).json().id;
    const vehicle = await t.call(a.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'A-UNIT-1',
      credentials_id: credA,
    });
    expect(vehicle.statusCode, vehicle.body).toBe(201);
    vehicleA = vehicle.json().id;
    credB = (await t.call(b.token, 'POST', '/niu/credentials', { name: 'B own', client_id: 'b-client', client_secret: 'b-secret' })).json()
      .id;
  });

  afterAll(async () => {
    await t?.close();
  });

  const routes = (): [string, string, unknown?][] => [
    ['GET', `/niu/credentials/${credA}`],
    ['GET', `/NIU/credentials/${credA.toLowerCase()}`],
    ['PATCH', `/niu/credentials/${credA}`, { client_secret: 'stolen-rotation' }],
    ['DELETE', `/niu/credentials/${credA2}`],
    ['GET', `/vehicles/${vehicleA}`],
    ['PATCH', `/vehicles/${vehicleA}`, { name: 'hijacked' }],
    ['PATCH', `/vehicles/${vehicleA}`, { credentials_id: credB }],
    ['DELETE', `/vehicles/${vehicleA}`],
  ];

  it('answers 404 not-found to another fleet on every route of a credential or vehicle id', async () => {
    for (const [method, url, body] of routes()) {
      const res = await t.call(b.token, method, url, body);
      const problem = expectProblem(res, 'not-found', 404);
      expect(JSON.stringify(problem), `${method} ${url}`).not.toContain('client1');
    }
  });

  it('left fleet A untouched after fleet B tried everything', async () => {
    const cred = await t.call(a.token, 'GET', `/niu/credentials/${credA}`);
    expect(cred.json()).toMatchObject({ secret_version: 1, vehicle_count: 1 });
    expect((await t.call(a.token, 'GET', `/niu/credentials/${credA2}`)).statusCode).toBe(200);
    const vehicle = await t.call(a.token, 'GET', `/vehicles/${vehicleA}`);
    expect(vehicle.json()).toMatchObject({ name: null, credentials_id: credA });
  });

  it('answers 404 the same way for an id that exists nowhere, so ids do not leak existence', async () => {
    const missing = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
    const foreign = await t.call(b.token, 'GET', `/niu/credentials/${credA}`);
    const nowhere = await t.call(b.token, 'GET', `/niu/credentials/${missing}`);
    const strip = (body: Record<string, unknown>) => ({
      ...body,
      request_id: undefined,
      detail: String(body.detail).replace(/[0-9A-Z]{26}/g, '<id>'),
    });
    expect(strip(foreign.json())).toEqual(strip(nowhere.json()));
  });

  it("never lists another fleet's credentials or vehicles", async () => {
    const lists = [
      '/niu/credentials',
      '/credentials',
      '/credentials?brand=niu',
      '/niu/credentials?q=niu',
      '/niu/credentials?name=NIU%20fleet%20Berlin',
      '/vehicles',
      `/vehicles?credentials_id=${credA}`,
      '/vehicles?telematics_brand=niu',
    ];
    for (const url of lists) {
      const res = await t.call(b.token, 'GET', url);
      expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
      const ids = (res.json().items as { id: string }[]).map((i) => i.id);
      expect(ids, url).not.toContain(credA);
      expect(ids, url).not.toContain(credA2);
      expect(ids, url).not.toContain(vehicleA);
    }
    const own = await t.call(b.token, 'GET', '/credentials');
    expect(own.json().items.map((i: { id: string }) => i.id)).toEqual([credB]);
    const ownVehicles = await t.call(b.token, 'GET', '/vehicles');
    expect(ownVehicles.json().items).toEqual([]);
  });

  it("refuses a vehicle in fleet B that references fleet A's credential (422)", async () => {
    const res = await t.call(b.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'B-UNIT-1',
      credentials_id: credA,
    });
    const problem = expectProblem(res, 'validation-failed', 422);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/credentials_id' })]);
    const ok = await t.call(b.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'B-UNIT-1',
      credentials_id: credB,
    });
    expect(ok.statusCode).toBe(201);
    const reassign = await t.call(b.token, 'PATCH', `/vehicles/${ok.json().id}`, { credentials_id: credA });
    expectProblem(reassign, 'validation-failed', 422);
    expect((await t.call(a.token, 'GET', `/niu/credentials/${credA}`)).json().vehicle_count).toBe(1);
  });

  it('keeps names and telematics unit ids unique per fleet only', async () => {
    const same = await t.call(b.token, 'POST', '/niu/credentials', { ...niuExample, client_secret: 'b-side-secret' });
    expect(same.statusCode, same.body).toBe(201);
    expect(same.json().name).toBe(niuExample.name);
    const clash = await t.call(b.token, 'POST', '/niu/credentials', { name: 'niu FLEET berlin', client_id: 'x', client_secret: 'y' });
    expectProblem(clash, 'name-already-exists', 409);
    const vehicle = await t.call(b.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'A-UNIT-1',
      credentials_id: same.json().id,
    });
    expect(vehicle.statusCode, vehicle.body).toBe(201);
  });

  it("does not let fleet B's deletes reach fleet A even when B holds an equal-looking credential", async () => {
    const del = await t.call(b.token, 'DELETE', `/niu/credentials/${credA}`);
    expectProblem(del, 'not-found', 404);
    expect((await t.call(a.token, 'GET', `/niu/credentials/${credA}`)).statusCode).toBe(200);
  });
});
