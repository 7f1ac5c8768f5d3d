import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** A webhook's sealed signing secret to move to another data key (docs/webhooks.md). */
export interface SealedWebhookSecret {
  webhook_id: string;
  version: number;
  sealed_secret: Buffer;
  data_key_id: string;
}

/**
 * SQL of a data-key rotation over the webhook signing secrets, which are sealed under the fleet's data key like
 * credential secrets (docs/data-key-rotation.md): the ones still under old keys, in batches, and the conditional
 * re-seal of each. Every method takes the fleet id first.
 */
export function createWebhookSecretResealRepo(db: Kysely<DB>) {
  return {
    /** Up to `limit` webhook signing secrets of the fleet sealed under one of `keyIds`. */
    async under(fleetId: string, keyIds: readonly string[], limit: number): Promise<SealedWebhookSecret[]> {
      if (keyIds.length === 0) return [];
      const rows = await db
        .selectFrom('webhook_secrets')
        .select(['webhook_id', 'version', 'sealed_secret', 'data_key_id'])
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .orderBy('webhook_id')
        .orderBy('version')
        .limit(limit)
        .execute();
      return rows as SealedWebhookSecret[];
    },

    /** How many webhook secrets of the fleet are sealed under one of `keyIds`. */
    async countUnder(fleetId: string, keyIds: readonly string[]): Promise<number> {
      if (keyIds.length === 0) return 0;
      const row = await db
        .selectFrom('webhook_secrets')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /** Replaces a webhook secret's sealed value if it is still under the key it was read under. */
    async reseal(fleetId: string, row: SealedWebhookSecret, to: { data_key_id: string; sealed_secret: Buffer }): Promise<boolean> {
      const result = await db
        .updateTable('webhook_secrets')
        .set(to)
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', row.webhook_id)
        .where('version', '=', row.version)
        .where('data_key_id', '=', row.data_key_id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type WebhookSecretResealRepo = ReturnType<typeof createWebhookSecretResealRepo>;
