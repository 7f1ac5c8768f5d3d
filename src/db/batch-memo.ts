import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** What the units of one group-commit batch remember between them, by key (`batchMemo`). */
export type BatchMemo = Map<string, unknown>;

/** The memo of the batch running on each executor. */
const memos = new WeakMap<Kysely<DB>, BatchMemo>();

/**
 * For a repository bound to a batch's executor, a map the units of that batch share, for what their one transaction
 * holds locked and so cannot change under them: the audit chain heads (audit.repo.ts), a fleet's webhook
 * subscriptions (webhook-deliveries.repo.ts) and its active data key (data-keys.repo.ts), each dropped by the units
 * that write them. Undefined for any other executor (the shared pool, a transaction of no batch). The group commit
 * empties it whenever a unit of the batch fails: the rollback to its savepoint undoes its writes and releases the
 * locks it took, so nothing remembered may outlive it. It is gone with the batch.
 */
export function batchMemo(executor: Kysely<DB>): BatchMemo | undefined {
  return memos.get(executor);
}

/** A new, empty memo for the batch that runs on `executor` (group-commit.ts). */
export function startBatchMemo(executor: Kysely<DB>): BatchMemo {
  const memo: BatchMemo = new Map();
  memos.set(executor, memo);
  return memo;
}

/** The batch on `executor` has ended: its memo goes with it. */
export function endBatchMemo(executor: Kysely<DB>): void {
  memos.delete(executor);
}
