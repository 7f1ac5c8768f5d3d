import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashUnderLoad, expectNoAcknowledgedWriteLost, summarize } from '../helpers/crash-durability.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/**
 * The same on PostgreSQL (docs/design.md §5). Only fleetvault is killed, not the database server, so what
 * this proves is that a write is answered only after its COMMIT returned, and that the transactions
 * the killed process left open roll back without a gap or a fork in the audit chain.
 */
let storage: TestStorage;

beforeAll(async () => {
  storage = await createTestStorage();
});

afterAll(async () => {
  await storage?.drop();
});

describe('kill -9 under concurrent writes (PostgreSQL)', { timeout: 180_000 }, () => {
  it('loses no acknowledged create or rotation, and the audit trail verifies clean', async ({ annotate }) => {
    const run = await crashUnderLoad({
      databaseEnv: { DATABASE_URL: urlWithSchema(storage.databaseUrl!, storage.pgSchema!) },
      webhooks: true,
    });
    await annotate(summarize(run));
    expectNoAcknowledgedWriteLost(run);
    expect(run.webhooks?.missing).toEqual([]);
    expect(run.webhooks?.expected).toBeGreaterThan(0);
  });
});
