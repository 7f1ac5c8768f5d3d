import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../src/audit/audit.service.js';
import type { Repos } from '../../src/repos.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Within a group commit the outbox reads a fleet's enabled subscriptions once per batch (webhook-deliveries.repo.ts,
 * the batch memo of group-commit.ts). Units of one fleet started together share a batch (every unit on SQLite, the
 * fleet's on PostgreSQL), in the order they were started: a unit that writes the fleet's webhooks must change what
 * the next units of the batch deliver to, and a unit that fails must leave nothing of its subscriptions behind.
 */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

afterAll(async () => {
  await t?.close();
});

let hooks = 0;
/** A subscription and its secret, written straight through the repository (a unit may not call the service). */
function newHook(fleetId: string, events: string[]) {
  const id = `01HOOK${String(hooks++).padStart(20, '0')}`;
  const now = new Date().toISOString();
  const row = {
    ...{ id, fleet_id: fleetId, url: 'https://hooks.example/in', events: JSON.stringify(events), description: null, enabled: 1 },
    ...{ disabled_reason: null, failing_since: null, created_at: now, updated_at: now },
  };
  const secret = { webhook_id: id, fleet_id: fleetId, version: 1, sealed_secret: Buffer.from('sealed'), data_key_id: null };
  return { row, secret: { ...secret, created_at: now, expires_at: null } };
}

async function newFleet() {
  const { fleetId, clientId } = await t.newFleet();
  const record: AuditRecord<'client.secret_rotated'> = {
    fleetId,
    actor: { type: 'client', id: clientId },
    action: 'client.secret_rotated',
    target: { type: 'client', id: clientId },
    requestId: null,
    details: {},
  };
  /**
   * One unit of the fleet: `before` writes, then the unit appends an event (and so queues its deliveries); with
   * `fail`, it throws after that.
   */
  const unit = (before: (repos: Repos) => Promise<unknown> = async () => {}, fail = false) =>
    t.deps.store.transaction(
      async (repos) => {
        await before(repos);
        const event = await t.deps.services.audit.append(repos, record);
        if (fail) throw new Error('fails after its event was queued');
        return event;
      },
      { fleetId },
    );
  return { fleetId, unit };
}

const deliveriesOf = async (eventId: string) =>
  (await t.deps.database.db.selectFrom('webhook_deliveries').select('webhook_id').where('event_id', '=', eventId).execute()).map(
    (row) => row.webhook_id,
  );

describe('group commit and the webhook subscriptions', () => {
  it('delivers the event of a later unit of the batch to a subscription an earlier unit created', async () => {
    const { fleetId, unit } = await newFleet();
    const hook = newHook(fleetId, ['client.secret_rotated']);
    // The first unit's event reads the fleet's subscriptions (none) into the batch memo.
    const [first, created, later] = await Promise.all([unit(), unit((repos) => repos.webhooks.insert(hook.row, hook.secret)), unit()]);
    expect(await deliveriesOf(first.id)).toEqual([]);
    expect(await deliveriesOf(created.id)).toEqual([hook.row.id]);
    expect(await deliveriesOf(later.id)).toEqual([hook.row.id]);
  });

  type Change = (repos: Repos, fleetId: string, id: string) => Promise<unknown>;
  // [what the earlier unit did, its write, whether the subscription (and with it the first event's delivery) is left]
  it.each<[string, Change, boolean]>([
    ['disabled', (repos, fleetId, id) => repos.webhooks.update(fleetId, id, { enabled: 0, updated_at: 'now' }), true],
    [
      'subscribed to other events',
      (repos, fleetId, id) => repos.webhooks.update(fleetId, id, { events: JSON.stringify(['vehicle.created']), updated_at: 'now' }),
      true,
    ],
    ['deleted', (repos, fleetId, id) => repos.webhooks.delete(fleetId, id), false],
    ['deleted with its fleet', (repos, fleetId) => repos.fleetOffboarding.deleteRows(fleetId, { withHistory: false }), false],
  ])('delivers no later event of the batch to a subscription an earlier unit %s', async (_, change, left) => {
    const { fleetId, unit } = await newFleet();
    const hook = newHook(fleetId, ['client.secret_rotated']);
    await t.deps.store.transaction((repos) => repos.webhooks.insert(hook.row, hook.secret), { fleetId });
    // The first unit's event reads the subscription into the batch memo; a stale one would deliver the last event
    // to it (or fail on its deleted row).
    const outcomes = await Promise.allSettled([unit(), unit((repos) => change(repos, fleetId, hook.row.id)), unit()]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    const [first, changed, later] = outcomes.map((outcome) => (outcome as PromiseFulfilledResult<{ id: string }>).value);
    expect(await deliveriesOf(first!.id)).toEqual(left ? [hook.row.id] : []);
    expect(await deliveriesOf(changed!.id)).toEqual([]);
    expect(await deliveriesOf(later!.id)).toEqual([]);
  });

  it('leaves nothing of a subscription created by a unit that failed to the later units of the batch', async () => {
    const { fleetId, unit } = await newFleet();
    const hook = newHook(fleetId, ['client.secret_rotated']);
    const outcomes = await Promise.allSettled([
      unit(),
      // Its own event was queued for the subscription (the memo held it) before it failed and rolled back.
      unit((repos) => repos.webhooks.insert(hook.row, hook.secret), true),
      unit(),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const later = (outcomes[2] as PromiseFulfilledResult<{ id: string }>).value;
    expect(await deliveriesOf(later.id)).toEqual([]);
    expect(await t.deps.database.db.selectFrom('webhooks').select('id').where('fleet_id', '=', fleetId).execute()).toEqual([]);
  });
});
