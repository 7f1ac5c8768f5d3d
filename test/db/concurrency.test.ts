import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Lets the event loop turn a random number of times (0-15), so the racers start at varied points of each other's work. */
async function jitter(): Promise<void> {
  for (let i = Math.floor(Math.random() * 16); i > 0; i--) await new Promise((resolve) => setImmediate(resolve));
}

/** Fires the tasks together, in a random order and with random head starts; results in the given order. */
async function race<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
  const order = shuffled(tasks.map((task, index) => ({ task, index })));
  const results = new Array<T>(tasks.length);
  await Promise.all(
    order.map(async ({ task, index }) => {
      await jitter();
      results[index] = await task();
    }),
  );
  return results;
}

describe('concurrency', () => {
  let t: TestApp;
  let token: string;
  let fleetId: string;

  beforeAll(async () => {
    t = await buildTestApp();
    ({ token, fleetId } = await t.newFleet());
  });

  afterAll(async () => {
    await t?.close();
  });

  const createNiu = async (clientId: string) => {
    const res = await t.call(token, 'POST', '/niu/credentials', { client_id: clientId, client_secret: `s-${clientId}` });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };

  /** Vehicles whose credential row is gone: must always be none. */
  async function danglingVehicles(): Promise<number> {
    const { rows } = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM vehicles v
      WHERE NOT EXISTS (
        SELECT 1 FROM credentials c WHERE c.id = v.credentials_id AND c.fleet_id = v.fleet_id AND c.brand = v.telematics_brand
      )
    `.execute(t.deps.database.db);
    return Number(rows[0]!.n);
  }

  it('DELETE credential racing POST vehicle never leaves a dangling reference (30 rounds)', { timeout: 120_000 }, async () => {
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 30; round++) {
      const credId = await createNiu(`race-del-${round}`);
      const [del, post] = await race([
        () => t.call(token, 'DELETE', `/niu/credentials/${credId}`),
        () => t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `RACE-${round}`, credentials_id: credId }),
      ]);
      const key = `${del!.statusCode}/${post!.statusCode}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      // Exactly one wins: either the credential is gone and the vehicle refused, or both stay.
      if (del!.statusCode === 204) {
        expectProblem(post!, 'validation-failed', 422);
        expect((await t.call(token, 'GET', `/niu/credentials/${credId}`)).statusCode).toBe(404);
      } else {
        const conflict = expectProblem(del!, 'conflicting-resource', 409);
        expect(post!.statusCode, post!.body).toBe(201);
        expect(conflict.vehicle_ids).toEqual([post!.json().id]);
        expect((await t.call(token, 'GET', `/niu/credentials/${credId}`)).json().vehicle_count).toBe(1);
      }
      expect(await danglingVehicles()).toBe(0);
    }
    expect([...outcomes.keys()].every((k) => k === '204/422' || k === '409/201')).toBe(true);
  });

  it('DELETE credential racing PATCH that reassigns a vehicle onto it never dangles (30 rounds)', { timeout: 120_000 }, async () => {
    const home = await createNiu('reassign-home');
    const vehicle = await t.call(token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'REASSIGN-1',
      credentials_id: home,
    });
    expect(vehicle.statusCode).toBe(201);
    const vehicleId = vehicle.json().id as string;
    for (let round = 0; round < 30; round++) {
      const target = await createNiu(`reassign-target-${round}`);
      const [del, patch] = await race([
        () => t.call(token, 'DELETE', `/niu/credentials/${target}`),
        () => t.call(token, 'PATCH', `/vehicles/${vehicleId}`, { credentials_id: target }),
      ]);
      const current = (await t.call(token, 'GET', `/vehicles/${vehicleId}`)).json();
      if (del!.statusCode === 204) {
        expectProblem(patch!, 'validation-failed', 422);
      } else {
        expectProblem(del!, 'conflicting-resource', 409);
        expect(patch!.statusCode, patch!.body).toBe(200);
        expect(current.credentials_id).toBe(target);
      }
      expect(await danglingVehicles()).toBe(0);
      // Move it home again so the next round starts alike.
      expect((await t.call(token, 'PATCH', `/vehicles/${vehicleId}`, { credentials_id: home })).statusCode).toBe(200);
    }
  });

  it('concurrent creates of one name: exactly one 201, the rest 409 name-already-exists', async () => {
    const results = await race(
      Array.from(
        { length: 12 },
        (_, i) => () =>
          t.call(token, 'POST', '/niu/credentials', {
            name: i % 2 ? 'Shared Name' : 'shared name',
            client_id: `n-${i}`,
            client_secret: `ns-${i}`,
          }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const res of results.filter((r) => r.statusCode !== 201)) expectProblem(res, 'name-already-exists', 409);
    const list = await t.call(token, 'GET', '/credentials?name=shared%20name');
    expect(list.json().items).toHaveLength(1);
  });

  it('concurrent openobd creates over the cap of 5: exactly 5 exist, the rest 409 limit-exceeded', async () => {
    const results = await race(
      Array.from(
        { length: 12 },
        (_, i) => () =>
          t.call(token, 'POST', '/openobd/credentials', { client_id: `obd-${i}`, cluster_id: '001', client_secret: `obd-secret-${i}` }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(5);
    for (const res of results.filter((r) => r.statusCode !== 201)) expectProblem(res, 'limit-exceeded', 409);
    const rows = await t.deps.database.db
      .selectFrom('credentials')
      .select('id')
      .where('fleet_id', '=', fleetId)
      .where('brand', '=', 'openobd')
      .execute();
    expect(rows).toHaveLength(5);
  });

  it('concurrent vehicles with one unit id: exactly one 201, the rest 409 unique-identifier-already-exists', async () => {
    const credId = await createNiu('unit-race');
    const results = await race(
      Array.from(
        { length: 10 },
        () => () =>
          t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: 'SAME-UNIT', credentials_id: credId }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    for (const res of results.filter((r) => r.statusCode !== 201)) expectProblem(res, 'unique-identifier-already-exists', 409);
  });

  it('concurrent rotations of one credential: each lands with a version of its own or is 412, none lost', async () => {
    const credId = await createNiu('rotate-race');
    const results = await race(
      Array.from({ length: 4 }, (_, i) => () => t.call(token, 'PATCH', `/niu/credentials/${credId}`, { client_secret: `rot-${i}` })),
    );
    const ok = results.filter((r) => r.statusCode === 200);
    for (const res of results.filter((r) => r.statusCode !== 200)) expectProblem(res, 'precondition-failed', 412);
    const final = await t.call(token, 'GET', `/niu/credentials/${credId}`);
    expect(final.json().secret_version).toBe(1 + ok.length);
    expect(new Set(ok.map((r) => r.json().secret_version)).size).toBe(ok.length);
  });
});
