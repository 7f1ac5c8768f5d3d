import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import type { Store } from '../../src/db/store.js';
import type { Repos } from '../../src/repos.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * A write that sealed secrets under the fleet's data key while a data-key rotation (docs/design.md §3) finished and
 * destroyed that key before the write committed: the row's foreign key refuses the commit, and the write must
 * seal again under the new key, never answer 500 and never store what nothing can open. The race is made exact
 * by finishing a whole rotation inside the write's first `store.transaction` call, before its unit runs.
 */
let t: TestApp;
let token: string;
let fleetId: string;

beforeAll(async () => {
  t = await buildTestApp();
  const fleet = await t.newFleet(['credentials:read', 'credentials:write', 'credentials:reveal']);
  ({ token, fleetId } = fleet);
});

afterAll(async () => {
  await t?.close();
});

const dataKeysOf = async () => (await t.deps.store.repos.dataKeys.ofFleet(fleetId)).map((key) => key.id);

/** Runs the next write's first transaction only after a complete data-key rotation of the fleet. */
function rotateBeforeNextTransaction(): { rotations: () => number } {
  const store = t.deps.store as { transaction: Store<Repos>['transaction'] };
  const original = store.transaction;
  let rotations = 0;
  store.transaction = async (fn) => {
    store.transaction = original;
    await t.deps.services.dataKeyRotation.rotateFleet(cliFleetlessContext, fleetId, () => {});
    rotations++;
    return original(fn);
  };
  return { rotations: () => rotations };
}

async function revealed(id: string): Promise<Record<string, string>> {
  const res = await t.call(token, 'GET', `/niu/credentials/${id}/secrets`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().secrets;
}

/** The fleet chain's events of one action on one target: a retried write must leave exactly one. */
async function eventsOf(action: string, targetId: string) {
  return (await t.deps.store.repos.audit.page(fleetId, 0, 10_000)).filter((e) => e.action === action && e.target.id === targetId);
}

async function expectSealedUnderCurrentKey(id: string) {
  const keys = await dataKeysOf();
  expect(keys).toHaveLength(1);
  const row = await t.deps.database.db.selectFrom('credentials').select('data_key_id').where('id', '=', id).executeTakeFirstOrThrow();
  expect(row.data_key_id).toBe(keys[0]);
}

describe('a write racing the end of a data-key rotation', () => {
  it('POST create seals again under the new key: 201, and the secret opens', async () => {
    const [before] = await dataKeysOf();
    const race = rotateBeforeNextTransaction();
    const res = await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: 'Raced create', client_secret: 'created-in-race' });
    expect(res.statusCode, res.body).toBe(201);
    expect(race.rotations()).toBe(1);
    expect(await dataKeysOf()).not.toContain(before);
    await expectSealedUnderCurrentKey(res.json().id);
    expect((await revealed(res.json().id)).client_secret).toBe('created-in-race');
    expect(await eventsOf('credential.created', res.json().id)).toHaveLength(1);
  });

  it('POST with an Idempotency-Key: the resealed create is the one recorded, and a retry of the request replays it', async () => {
    const body = { ...niuExample, name: 'Raced idempotent create', client_secret: 'idempotent-in-race' };
    const headers = { 'idempotency-key': 'race-key-1' };
    const race = rotateBeforeNextTransaction();
    const first = await t.call(token, 'POST', '/niu/credentials', body, headers);
    expect(first.statusCode, first.body).toBe(201);
    expect(race.rotations()).toBe(1);
    const retry = await t.call(token, 'POST', '/niu/credentials', body, headers);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.json()).toEqual(first.json());
    expect(await eventsOf('credential.created', first.json().id)).toHaveLength(1);
    expect((await revealed(first.json().id)).client_secret).toBe('idempotent-in-race');
  });

  it('PATCH rotation seals again under the new key: 200, and the new secret opens', async () => {
    const id = (await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: null, client_secret: 'v1' })).json().id;
    const race = rotateBeforeNextTransaction();
    const res = await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'v2-in-race' });
    expect(res.statusCode, res.body).toBe(200);
    expect(race.rotations()).toBe(1);
    expect(res.json().secret_version).toBe(2);
    await expectSealedUnderCurrentKey(id);
    expect((await revealed(id)).client_secret).toBe('v2-in-race');
  });

  it('restoring a version seals again under the new key: 200, and the restored secret opens', async () => {
    const id = (await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: null, client_secret: 'v1' })).json().id;
    expect((await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'v2' })).statusCode).toBe(200);
    const race = rotateBeforeNextTransaction();
    const res = await t.call(token, 'POST', `/niu/credentials/${id}/versions/1/restore`);
    expect(res.statusCode, res.body).toBe(200);
    expect(race.rotations()).toBe(1);
    expect(res.json().secret_version).toBe(3);
    await expectSealedUnderCurrentKey(id);
    expect((await revealed(id)).client_secret).toBe('v1');
    expect(await eventsOf('credential.restored', id)).toHaveLength(1);
    const versions = (await t.call(token, 'GET', `/niu/credentials/${id}/versions`)).json().items;
    expect(versions.map((v: { secret_version: number }) => v.secret_version)).toEqual([3, 2, 1]);
  });
});
