import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/** A sealed value to move to another data key: where it lives and what it is sealed under. */
export interface SealedRow {
  credential_id: string;
  secret_version: number;
  sealed_secrets: Buffer;
  data_key_id: string;
}

/** A webhook's sealed signing secret to move to another data key (docs/webhooks.md). */
export interface SealedWebhookSecret {
  webhook_id: string;
  version: number;
  sealed_secret: Buffer;
  data_key_id: string;
}

/**
 * SQL of a data key's re-encryption over both credential tables (docs/design.md §3): the fleet's sealed
 * values still under old keys, in batches, and the conditional re-seal of each. Part of the credentials
 * repository (`repos.credentials.sealed`); only the sealed-secrets writer re-seals. Every method takes the fleet id first.
 */
export function createSealedRowsRepo(db: Kysely<DB>) {
  return {
    /** Up to `limit` current secrets of the fleet sealed under one of `keyIds`. */
    async currentUnder(fleetId: string, keyIds: readonly string[], limit: number): Promise<SealedRow[]> {
      const rows = await db
        .selectFrom('credentials')
        .select(['id as credential_id', 'secret_version', 'sealed_secrets', 'data_key_id'])
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .orderBy('data_key_id')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows as SealedRow[];
    },

    /** Up to `limit` kept earlier versions of the fleet sealed under one of `keyIds`. */
    async keptUnder(fleetId: string, keyIds: readonly string[], limit: number): Promise<SealedRow[]> {
      const rows = await db
        .selectFrom('credential_secret_versions')
        .select(['credential_id', 'secret_version', 'sealed_secrets', 'data_key_id'])
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .orderBy('data_key_id')
        .orderBy('credential_id')
        .orderBy('secret_version')
        .limit(limit)
        .execute();
      return rows as SealedRow[];
    },

    /** Up to `limit` webhook signing secrets of the fleet sealed under one of `keyIds`. */
    async webhookSecretsUnder(fleetId: string, keyIds: readonly string[], limit: number): Promise<SealedWebhookSecret[]> {
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

    /** Replaces a webhook secret's sealed value if it is still under the key it was read under. */
    async resealWebhookSecret(
      fleetId: string,
      row: SealedWebhookSecret,
      to: { data_key_id: string; sealed_secret: Buffer },
    ): Promise<boolean> {
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

    /** How many sealed values (current and kept secrets, webhook secrets) of the fleet are under one of `keyIds`. */
    async countUnder(fleetId: string, keyIds: readonly string[]): Promise<number> {
      const current = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .executeTakeFirstOrThrow();
      const kept = await db
        .selectFrom('credential_secret_versions')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .executeTakeFirstOrThrow();
      const webhookSecrets = await db
        .selectFrom('webhook_secrets')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('data_key_id', 'in', keyIds)
        .executeTakeFirstOrThrow();
      return Number(current.n) + Number(kept.n) + Number(webhookSecrets.n);
    },

    /**
     * Replaces a current secret's sealed value if the row is still as read (same version, same key):
     * a PATCH that got there first wins, and its row is looked at again in a later batch if needed.
     */
    async resealCurrent(fleetId: string, row: SealedRow, to: { data_key_id: string; sealed_secrets: Buffer }): Promise<boolean> {
      const result = await db
        .updateTable('credentials')
        .set(to)
        .where('fleet_id', '=', fleetId)
        .where('id', '=', row.credential_id)
        .where('secret_version', '=', row.secret_version)
        .where('data_key_id', '=', row.data_key_id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Replaces a kept version's sealed value if it is still under the key it was read under. */
    async resealKept(fleetId: string, row: SealedRow, to: { data_key_id: string; sealed_secrets: Buffer }): Promise<boolean> {
      const result = await db
        .updateTable('credential_secret_versions')
        .set(to)
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', row.credential_id)
        .where('secret_version', '=', row.secret_version)
        .where('data_key_id', '=', row.data_key_id)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type SealedRowsRepo = ReturnType<typeof createSealedRowsRepo>;
