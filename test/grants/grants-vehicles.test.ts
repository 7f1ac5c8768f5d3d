import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';
import { restrictedClient, teslaExample } from '../helpers/grants.js';

/** Vehicles under a restricted client (docs/grants.md): those referencing a credential outside it stay hidden. */
let t: TestApp;
let admin: string;
let otherFleet: string;
const ids = { niuA: '', niuB: '', tesla: '' };
const vehicles = { niu1: '', niu2: '', tesla: '', niuB: '' };
let niuOnly: string;
let idOnly: string;

const addVehicle = async (token: string, brand: string, unit: string, credentialsId: string) =>
  (await t.call(token, 'POST', '/vehicles', { telematics_brand: brand, telematics_unit_id: unit, credentials_id: credentialsId })).json()
    .id as string;

beforeAll(async () => {
  t = await buildTestApp();
  admin = (await t.newFleet()).token;
  otherFleet = (await t.newFleet()).token;
  ids.niuA = (await t.call(admin, 'POST', '/niu/credentials', { ...niuExample, name: 'a' })).json().id;
  ids.niuB = (await t.call(admin, 'POST', '/niu/credentials', { ...niuExample, name: 'b' })).json().id;
  ids.tesla = (await t.call(admin, 'POST', '/tesla/credentials', teslaExample)).json().id;
  vehicles.niu1 = await addVehicle(admin, 'niu', 'N1', ids.niuA);
  vehicles.tesla = await addVehicle(admin, 'tesla', 'T1', ids.tesla);
  vehicles.niu2 = await addVehicle(admin, 'niu', 'N2', ids.niuA);
  vehicles.niuB = await addVehicle(admin, 'niu', 'N3', ids.niuB);
  niuOnly = (await restrictedClient(t, admin, { brands: ['niu'] })).token;
  idOnly = (await restrictedClient(t, admin, { credential_ids: [ids.niuB] })).token;
});
afterAll(() => t?.close());

const idsOf = (res: { json(): { items: { id: string }[] } }) => res.json().items.map((item) => item.id);

describe('vehicles of a restricted client', () => {
  it('lists leave out vehicles referencing a credential outside, paged with limit=1 without gaps', async () => {
    expect(idsOf(await t.call(niuOnly, 'GET', '/vehicles'))).toEqual([vehicles.niu1, vehicles.niu2, vehicles.niuB]);
    expect(idsOf(await t.call(niuOnly, 'GET', `/vehicles?credentials_id=${ids.tesla}`))).toEqual([]);
    expect(idsOf(await t.call(niuOnly, 'GET', '/vehicles?telematics_brand=tesla'))).toEqual([]);
    expect(idsOf(await t.call(idOnly, 'GET', '/vehicles'))).toEqual([vehicles.niuB]);
    const seen: string[] = [];
    let url = '/vehicles?limit=1';
    for (let page = 0; page < 10; page++) {
      const body = (await t.call(niuOnly, 'GET', url)).json();
      expect(body.items).toHaveLength(1);
      seen.push(body.items[0].id);
      if (body.next_cursor === null) break;
      url = `/vehicles?limit=1&cursor=${encodeURIComponent(body.next_cursor)}`;
    }
    expect(seen).toEqual([vehicles.niu1, vehicles.niu2, vehicles.niuB]);
  });

  it('a vehicle referencing a credential outside is 404 not-found on read, update and delete', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { name: 'mine' }], ['DELETE']] as const) {
      expectProblem(await t.call(niuOnly, method, `/vehicles/${vehicles.tesla}`, body), 'not-found', 404);
      expectProblem(await t.call(idOnly, method, `/vehicles/${vehicles.niu1}`, body), 'not-found', 404);
    }
    expect((await t.call(admin, 'GET', `/vehicles/${vehicles.tesla}`)).json().name).toBeNull();
  });

  it('a vehicle cannot be created on, or pointed at, a credential outside: refused as another fleet\u2019s credential is', async () => {
    const asOtherFleet = expectProblem(
      await t.call(otherFleet, 'POST', '/vehicles', { telematics_brand: 'tesla', telematics_unit_id: 'T9', credentials_id: ids.tesla }),
      'validation-failed',
      422,
    );
    const restricted = expectProblem(
      await t.call(niuOnly, 'POST', '/vehicles', { telematics_brand: 'tesla', telematics_unit_id: 'T9', credentials_id: ids.tesla }),
      'validation-failed',
      422,
    );
    expect(restricted.errors).toEqual(asOtherFleet.errors);
    const moved = expectProblem(
      await t.call(idOnly, 'PATCH', `/vehicles/${vehicles.niuB}`, { credentials_id: ids.niuA }),
      'validation-failed',
      422,
    );
    expect(moved.errors).toEqual([{ pointer: '/credentials_id', detail: 'must name a niu credential of this fleet' }]);
    expect((await t.call(admin, 'GET', `/vehicles/${vehicles.niuB}`)).json().credentials_id).toBe(ids.niuB);
    expectProblem(
      await t.call(idOnly, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: 'N9', credentials_id: ids.niuA }),
      'validation-failed',
      422,
    );
    const inside = await t.call(idOnly, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'N9',
      credentials_id: ids.niuB,
    });
    expect(inside.statusCode).toBe(201);
    expect((await t.call(admin, 'DELETE', `/vehicles/${inside.json().id}`)).statusCode).toBe(204);
  });

  it('a blocked DELETE counts every referencing vehicle and lists the ones the caller may see', async () => {
    const body = expectProblem(await t.call(niuOnly, 'DELETE', `/niu/credentials/${ids.niuA}`), 'conflicting-resource', 409);
    expect(body.vehicle_count).toBe(2);
    expect(body.vehicle_ids).toEqual([vehicles.niu1, vehicles.niu2]);
  });
});
