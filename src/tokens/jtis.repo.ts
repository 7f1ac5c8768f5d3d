import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * Single-use assertion ids (RFC 7523 §3, "jti"). The database's primary key on (client, jti)
 * decides, so a replay fails on every replica and after a restart, and two concurrent uses of
 * one jti cannot both win.
 */
export function createJtiRepo(db: Kysely<DB>) {
  return {
    /**
     * Records `jti` as used until `expiresAt`; false when it was already used.
     * Rows past their expiry are pruned first: an assertion that old fails the iat check anyway.
     */
    async use(clientId: string, jti: string, expiresAt: Date, now: Date): Promise<boolean> {
      await db.deleteFrom('assertion_jtis').where('expires_at', '<', now.toISOString()).execute();
      const result = await db
        .insertInto('assertion_jtis')
        .values({ client_id: clientId, jti, expires_at: expiresAt.toISOString() })
        .onConflict((oc) => oc.columns(['client_id', 'jti']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
  };
}

export type JtiRepo = ReturnType<typeof createJtiRepo>;
