import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM_CHAIN } from '../../src/audit/audit-chain.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { AppError } from '../../src/core/app-error.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/** `fleet delete` and `fleet delete --purge` through the fleet service (docs/design.md §3), on both engines. */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

afterAll(async () => {
  await t?.close();
});

/** A fleet with two credentials (one with a kept earlier version), a vehicle, events and an idempotency record. */
async function populatedFleet() {
  const fleet = await t.newFleet();
  const created = await t.call(fleet.token, 'POST', '/niu/credentials', niuExample, { 'idempotency-key': 'offboarding-1' });
  expect(created.statusCode).toBe(201);
  const first = created.json().id as string;
  expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${first}`, { client_secret: 'second-secret' })).statusCode).toBe(200);
  const second = (await t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: 'Other', client_id: 'c2' })).json()
    .id as string;
  const vehicle = await t.call(fleet.token, 'POST', '/vehicles', {
    telematics_brand: 'niu',
    telematics_unit_id: 'u-1',
    credentials_id: first,
  });
  expect(vehicle.statusCode).toBe(201);
  return { ...fleet, credentialIds: [first, second] };
}

async function rowsOf(fleetId: string) {
  const { db } = t.deps.database;
  const count = async (
    table: 'credentials' | 'credential_secret_versions' | 'vehicles' | 'api_clients' | 'idempotency_keys' | 'fleet_data_keys',
  ) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('fleet_id', '=', fleetId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    fleets: (await db.selectFrom('fleets').select('id').where('id', '=', fleetId).execute()).length,
    fleet_data_keys: await count('fleet_data_keys'),
    credentials: await count('credentials'),
    credential_secret_versions: await count('credential_secret_versions'),
    vehicles: await count('vehicles'),
    api_clients: await count('api_clients'),
    idempotency_keys: await count('idempotency_keys'),
    audit_events: (await db.selectFrom('audit_events').select('id').where('chain', '=', fleetId).execute()).length,
    audit_heads: (await db.selectFrom('audit_heads').select('chain').where('chain', '=', fleetId).execute()).length,
  };
}

const systemEvents = async (action: string) =>
  (await t.deps.store.repos.audit.page(SYSTEM_CHAIN, 0, 10_000)).filter((e) => e.action === action);

describe('fleet delete', () => {
  it('refuses while the fleet holds credentials or vehicles, naming the counts, and changes nothing', async () => {
    const fleet = await populatedFleet();
    const before = await rowsOf(fleet.fleetId);
    const refusal = await t.deps.services.fleets
      .delete(cliFleetlessContext, fleet.fleetId, { purge: false })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'conflicting-resource', extensions: { credential_count: 2, vehicle_count: 1 } });
    expect((refusal as AppError).detail).toMatch(/2 credential\(s\) and 1 vehicle\(s\)/);
    expect(await rowsOf(fleet.fleetId)).toEqual(before);
    expect((await t.call(fleet.token, 'GET', '/credentials')).statusCode).toBe(200);
  });

  it('deletes an empty fleet with its clients and data key, keeps its audit chain, and records fleet.deleted', async () => {
    const fleet = await t.newFleet();
    const id = (await t.call(fleet.token, 'POST', '/niu/credentials', niuExample)).json().id as string;
    expect((await t.call(fleet.token, 'DELETE', `/niu/credentials/${id}`)).statusCode).toBe(204);
    const head = (await t.deps.store.repos.audit.head(fleet.fleetId))!;

    expect(await t.deps.services.fleets.delete(cliFleetlessContext, fleet.fleetId, { purge: false })).toEqual({
      lastSeq: head.seq,
      lastHash: head.hash,
    });
    expect(await rowsOf(fleet.fleetId)).toMatchObject({
      fleets: 0,
      fleet_data_keys: 0,
      api_clients: 0,
      audit_events: head.seq,
      audit_heads: 1,
    });
    const [event] = (await systemEvents('fleet.deleted')).filter((e) => e.target.id === fleet.fleetId);
    expect(event?.details).toEqual({ purged: false, last_seq: head.seq, last_hash: head.hash });
    await expect(t.deps.services.fleets.delete(cliFleetlessContext, fleet.fleetId, { purge: false })).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});

describe('fleet delete --purge', () => {
  it(
    'destroys the data key and every row of the fleet after a fleet.deleted event holding its chain head; others are ' + 'untouched',
    async () => {
      const bystander = await populatedFleet();
      const bystanderRows = await rowsOf(bystander.fleetId);
      const fleet = await populatedFleet();
      const head = (await t.deps.store.repos.audit.head(fleet.fleetId))!;
      expect(head.seq).toBeGreaterThan(3);

      const last = await t.deps.services.fleets.delete(cliFleetlessContext, fleet.fleetId, { purge: true });
      expect(last).toEqual({ lastSeq: head.seq, lastHash: head.hash });
      expect(await rowsOf(fleet.fleetId)).toEqual({
        fleets: 0,
        fleet_data_keys: 0,
        credentials: 0,
        credential_secret_versions: 0,
        vehicles: 0,
        api_clients: 0,
        idempotency_keys: 0,
        audit_events: 0,
        audit_heads: 0,
      });
      const [event] = (await systemEvents('fleet.deleted')).filter((e) => e.target.id === fleet.fleetId);
      expect(event).toMatchObject({
        fleet_id: null,
        actor: { type: 'cli' },
        details: { purged: true, last_seq: head.seq, last_hash: head.hash },
      });
      expect(await rowsOf(bystander.fleetId)).toEqual(bystanderRows);
      expect((await t.call(bystander.token, 'GET', `/niu/credentials/${bystander.credentialIds[0]}`)).statusCode).toBe(200);
      expect((await t.deps.services.audit.verify()).filter((report) => report.problem !== undefined)).toEqual([]);
    },
  );

  it('finishes a purge stopped after the data key went, without a second event', async () => {
    const fleet = await populatedFleet();
    // The first step's effect without the second: what a crash between the two transactions leaves.
    await t.deps.store.repos.fleetOffboarding.destroyDataKeys(fleet.fleetId);
    const eventsBefore = (await systemEvents('fleet.deleted')).length;
    expect(await t.deps.services.fleets.delete(cliFleetlessContext, fleet.fleetId, { purge: true })).toBeNull();
    expect(await rowsOf(fleet.fleetId)).toMatchObject({ fleets: 0, credentials: 0, credential_secret_versions: 0, audit_events: 0 });
    expect((await systemEvents('fleet.deleted')).length).toBe(eventsBefore);
  });
});
