import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Repos } from '../../src/repos.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A seal reads the fleet's active data key in the unit of work that writes the sealed value, once per group-commit
 * batch (data-keys.repo.ts, the batch memo). Units of one fleet started together share a batch (every unit on
 * SQLite, the fleet's on PostgreSQL), in the order they were started: a unit that adds or destroys one of the
 * fleet's keys must change the key the batch's later units seal under, and a unit that fails must leave nothing
 * of its key behind, exactly as if each unit had its own transaction.
 */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

afterAll(async () => {
  await t?.close();
});

let keys = 0;
/** A new data key row of the fleet, newer than any before it (a rotation's first step). */
function newKey(fleetId: string) {
  const id = `01DATAKEY${String(keys++).padStart(17, '0')}`;
  return t.deps.keyring.newWrappedDataKey(fleetId, new Date(Date.now() + keys * 1_000).toISOString(), id);
}

async function newFleet() {
  const { fleetId } = await t.newFleet();
  /** One unit of the fleet: `before` writes, then the unit seals a value as a create does; with `fail`, it throws after that. */
  const unit = (before: (repos: Repos) => Promise<unknown> = async () => {}, fail = false) =>
    t.deps.store.transaction(
      async (repos) => {
        await before(repos);
        const { dataKeyId } = await t.deps.keyring.sealSecrets(repos.dataKeys, fleetId, '01CREDENTIAL0000000000000000', 1, { a: 'b' });
        if (fail) throw new Error('fails after its seal');
        return dataKeyId;
      },
      { fleetId },
    );
  const active = async () => (await t.deps.store.repos.dataKeys.active(fleetId))!.id;
  return { fleetId, unit, active };
}

describe('group commit and the active data key', () => {
  it('seals the later units of a batch under a key an earlier unit added', async () => {
    const { fleetId, unit, active } = await newFleet();
    const first = await active();
    const key = newKey(fleetId);
    // The first unit reads the active key into the batch memo; a stale memo would seal the last unit under it.
    const sealedUnder = await Promise.all([unit(), unit((repos) => repos.dataKeys.insert(key)), unit()]);
    expect(sealedUnder).toEqual([first, key.id, key.id]);
  });

  it('seals the later units of a batch under the key left when an earlier unit destroyed the active one', async () => {
    const { fleetId, unit, active } = await newFleet();
    const first = await active();
    const key = newKey(fleetId);
    await t.deps.store.transaction((repos) => repos.dataKeys.insert(key), { fleetId });
    // A stale memo would name the destroyed key, and the foreign key would then refuse the row that names it.
    const sealedUnder = await Promise.all([unit(), unit((repos) => repos.dataKeys.destroy(fleetId, key.id)), unit()]);
    expect(sealedUnder).toEqual([key.id, first, first]);
  });

  it('leaves nothing of a key added by a unit that failed to the later units of the batch', async () => {
    const { fleetId, unit, active } = await newFleet();
    const first = await active();
    const key = newKey(fleetId);
    const outcomes = await Promise.allSettled([unit(), unit((repos) => repos.dataKeys.insert(key), true), unit()]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[2] as PromiseFulfilledResult<string>).value).toBe(first);
    expect(await active()).toBe(first);
  });

  it('seals a fleet’s units under that fleet’s key when a batch holds units of several fleets (SQLite’s one queue)', async () => {
    const one = await newFleet();
    const two = await newFleet();
    const [a, b, c] = await Promise.all([one.unit(), two.unit(), one.unit()]);
    expect([a, b, c]).toEqual([await one.active(), await two.active(), await one.active()]);
    expect(a).not.toBe(b);
  });
});
