import { describe, expect, it } from 'vitest';
import { crashUnderLoad, expectNoAcknowledgedWriteLost, summarize } from '../helpers/crash-durability.js';

/**
 * docs/design.md §5: SQLite runs in WAL mode with synchronous=FULL, so "an acknowledged write survives
 * `kill -9`". ~50 concurrent creates and rotations, SIGKILL after 150 acknowledgements, twice, each
 * restart on the same file; then every acknowledged write is still there, its audit event with it,
 * and every chain verifies; and every subscribed event of the trail reaches a webhook receiver (the outbox).
 */
describe('kill -9 under concurrent writes (SQLite)', { timeout: 180_000 }, () => {
  it('loses no acknowledged create or rotation, and the audit trail verifies clean', async ({ annotate }) => {
    const run = await crashUnderLoad({ databaseEnv: {}, webhooks: true });
    await annotate(summarize(run));
    expectNoAcknowledgedWriteLost(run);
    // The outbox committed with each change: every subscribed event reaches the receiver after the restarts.
    expect(run.webhooks?.missing).toEqual([]);
    expect(run.webhooks?.expected).toBeGreaterThan(0);
  });
});
