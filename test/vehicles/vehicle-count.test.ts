import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A credential's `vehicle_count` is a column kept by the transactions that create, move and delete vehicles
 * (src/vehicles/vehicles.repo.ts, docs/design.md §2.1), no longer a count at read time: concurrent changes of the
 * same credentials, moves in opposite directions included, must leave it equal to the vehicles that reference it.
 */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

const credential = async () => {
  const res = await t.call(token, 'POST', '/niu/credentials', { client_id: 'c', client_secret: 's' });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};
let unit = 0;
const vehicle = async (credentials_id: string) => {
  const res = await t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `race-${unit++}`, credentials_id });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
};
const counted = async (id: string) => (await t.call(token, 'GET', `/niu/credentials/${id}`)).json().vehicle_count as number;
const referencing = async (id: string) =>
  (await t.call(token, 'GET', `/vehicles?credentials_id=${id}&limit=200`)).json().items.length as number;

describe('vehicle_count under concurrent vehicle changes', () => {
  it('equals the referencing vehicles after concurrent creates, opposite moves and deletes', async () => {
    const [a, b] = [await credential(), await credential()];
    const onA = await Promise.all(Array.from({ length: 8 }, () => vehicle(a)));
    const onB = await Promise.all(Array.from({ length: 8 }, () => vehicle(b)));
    const answers = await Promise.all([
      ...onA.slice(0, 4).map((id) => t.call(token, 'PATCH', `/vehicles/${id}`, { credentials_id: b })),
      ...onB.slice(0, 4).map((id) => t.call(token, 'PATCH', `/vehicles/${id}`, { credentials_id: a })),
      // The same vehicle moved twice at once: it ends on one of them, counted once.
      t.call(token, 'PATCH', `/vehicles/${onA[7]}`, { credentials_id: b }),
      t.call(token, 'PATCH', `/vehicles/${onA[7]}`, { credentials_id: b }),
      ...onA.slice(4, 6).map((id) => t.call(token, 'DELETE', `/vehicles/${id}`)),
      ...onB.slice(4, 6).map((id) => t.call(token, 'DELETE', `/vehicles/${id}`)),
      ...Array.from({ length: 3 }, () =>
        t.call(token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: `race-${unit++}`, credentials_id: a }),
      ),
    ]);
    expect(answers.map((res) => res.statusCode).filter((status) => status >= 300)).toEqual([]);
    expect(await counted(a)).toBe(await referencing(a));
    expect(await counted(b)).toBe(await referencing(b));
    expect((await counted(a)) + (await counted(b))).toBe(16 - 4 + 3);
    // The list reads the same column.
    const items = (await t.call(token, 'GET', '/niu/credentials')).json().items as { id: string; vehicle_count: number }[];
    expect(Object.fromEntries(items.map((i) => [i.id, i.vehicle_count]))).toMatchObject({ [a]: await counted(a), [b]: await counted(b) });
  });

  it('does not move the count when a PATCH keeps the credential or changes only the name', async () => {
    const a = await credential();
    const id = await vehicle(a);
    expect((await t.call(token, 'PATCH', `/vehicles/${id}`, { credentials_id: a, name: 'kept' })).statusCode).toBe(200);
    expect((await t.call(token, 'PATCH', `/vehicles/${id}`, { name: 'renamed' })).statusCode).toBe(200);
    expect(await counted(a)).toBe(1);
    expect((await t.call(token, 'DELETE', `/vehicles/${id}`)).statusCode).toBe(204);
    expect(await counted(a)).toBe(0);
  });
});
