import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * A fleet's concurrent writes share group commits (every unit of a batch on SQLite, a fleet's units on PostgreSQL),
 * and within a batch the audit chain head is taken from the batch once a unit has moved it (audit.repo.ts). Units that
 * fail in the middle of a batch (a name clash, a lost rotation race) roll back their savepoint and their seq with it:
 * the chain stays gapless and verifies, with one event per acknowledged write.
 */
let t: TestApp;

beforeAll(async () => {
  t = await buildTestApp();
});

afterAll(async () => {
  await t?.close();
});

describe('group commit and the audit chain', () => {
  it('keeps a fleet chain gapless through batches whose units fail in the middle', async () => {
    const { fleetId, token } = await t.newFleet();
    const before = (await t.deps.services.audit.head(fleetId)).seq;
    // Every third create reuses a name: its INSERT finds the clash in the batch (409), after its neighbours wrote.
    const creates = await Promise.all(
      Array.from({ length: 45 }, (_, index) =>
        t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: `unit ${index % 3 === 2 ? index - 1 : index}` }),
      ),
    );
    const created = creates.filter((res) => res.statusCode === 201);
    expect(creates.filter((res) => res.statusCode === 409)).toHaveLength(15);
    expect(created).toHaveLength(30);

    // Concurrent rotations of one credential: all but one per round lose the compare-and-set and try again.
    const path = created[0]!.headers.location as string;
    const rotations = await Promise.all(
      Array.from({ length: 4 }, (_, index) => t.call(token, 'PATCH', path, { client_secret: `rotated-${index}` })),
    );
    expect(rotations.map((res) => res.statusCode)).toEqual([200, 200, 200, 200]);
    expect((await t.call(token, 'GET', path)).json().secret_version).toBe(5);

    const head = await t.deps.services.audit.head(fleetId);
    expect(head.seq - before).toBe(30 + 4);
    const [report] = await t.deps.services.audit.verify({ fleetId });
    expect(report).toMatchObject({ events: head.seq, head: { seq: head.seq, hash: head.hash } });
    expect(report!.problem).toBeUndefined();
  });

  it('takes the head from the database again after a unit that appended an event failed (its seq is given back)', async () => {
    const { fleetId, clientId } = await t.newFleet();
    const { store, services } = t.deps;
    const event = {
      fleetId,
      actor: { type: 'client' as const, id: clientId },
      action: 'client.secret_rotated' as const,
      target: { type: 'client' as const, id: clientId },
      requestId: null,
      details: {},
    };
    const append = () => store.transaction((repos) => services.audit.append(repos, event), { fleetId });
    const outcomes = await Promise.allSettled([
      append(),
      store.transaction(
        async (repos) => {
          await services.audit.append(repos, event);
          throw new Error('fails after its event');
        },
        { fleetId },
      ),
      append(),
      append(),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const appended = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.seq] : []));
    expect(appended[1]).toBe(appended[0]! + 1);
    expect(appended[2]).toBe(appended[0]! + 2);
    const [report] = await services.audit.verify({ fleetId });
    expect(report!.problem).toBeUndefined();
    expect(report!.head.seq).toBe(appended[2]);
  });
});
