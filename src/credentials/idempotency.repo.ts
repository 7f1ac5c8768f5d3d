import type { Kysely, Selectable } from 'kysely';
import type { DB, IdempotencyKeysTable } from '../db/schema.js';

export type IdempotencyRow = Selectable<IdempotencyKeysTable>;
type StoredResponse = Pick<IdempotencyRow, 'request_hash' | 'response_body'>;

/** SQL of idempotency_keys. Every method but the pruning takes the fleet id first. */
export function createIdempotencyRepo(db: Kysely<DB>) {
  return {
    /** The row of a key created after `after` (an ISO time). */
    async findSince(fleetId: string, key: string, after: string): Promise<StoredResponse | undefined> {
      return db
        .selectFrom('idempotency_keys')
        .select(['request_hash', 'response_body'])
        .where('fleet_id', '=', fleetId)
        .where('idempotency_key', '=', key)
        .where('created_at', '>', after)
        .executeTakeFirst();
    },

    /** Drops the row of a key if it was created at or before `cutoff` (its window is over). */
    async deleteExpiredKey(fleetId: string, key: string, cutoff: string): Promise<void> {
      await db
        .deleteFrom('idempotency_keys')
        .where('fleet_id', '=', fleetId)
        .where('idempotency_key', '=', key)
        .where('created_at', '<=', cutoff)
        .execute();
    },

    async insert(row: IdempotencyRow): Promise<void> {
      await db.insertInto('idempotency_keys').values(row).execute();
    },

    /** Deletes every row created at or before `cutoff`, in all fleets; returns how many. */
    async deleteExpired(cutoff: string): Promise<number> {
      const result = await db.deleteFrom('idempotency_keys').where('created_at', '<=', cutoff).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type IdempotencyRepo = ReturnType<typeof createIdempotencyRepo>;
