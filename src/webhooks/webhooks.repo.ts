import type { Kysely, Selectable } from 'kysely';
import { batchMemo } from '../db/batch-memo.js';
import type { DB, WebhookSecretsTable, WebhooksTable } from '../db/schema.js';

export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookSecretRow = Selectable<WebhookSecretsTable>;

/** A list page's keyset: the last webhook's id (the list is sorted by id). */
export type WebhookListKey = readonly [id: string];
export const WEBHOOK_LIST_KEY = ['string'] as const;

/** The key of a fleet's enabled subscriptions in the batch memo (group-commit.ts; read by the outbox's `enqueue`). */
export const subscriptionsMemoKey = (fleetId: string) => `webhooks:${fleetId}`;

/**
 * Every statement that writes the webhooks table calls this after it, on the executor it ran on: in a group commit
 * the batch's later units then read the fleet's subscriptions again, so an event after a create, a disable or a
 * delete in the same batch is delivered as if each unit had its own transaction. Nothing outside a batch.
 */
export function forgetSubscriptions(db: Kysely<DB>, fleetId: string): void {
  batchMemo(db)?.delete(subscriptionsMemoKey(fleetId));
}

/** SQL of webhook subscriptions and their sealed secrets. Every method takes the fleet id first. */
export function createWebhookRepo(db: Kysely<DB>) {
  return {
    async insert(row: WebhookRow, secret: WebhookSecretRow): Promise<void> {
      await db.insertInto('webhooks').values(row).execute();
      forgetSubscriptions(db, row.fleet_id);
      await db.insertInto('webhook_secrets').values(secret).execute();
    },

    async findById(fleetId: string, id: string): Promise<WebhookRow | undefined> {
      return db.selectFrom('webhooks').selectAll().where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
    },

    async list(fleetId: string, filter: { afterId?: string | undefined; limit: number }): Promise<WebhookRow[]> {
      let query = db.selectFrom('webhooks').selectAll().where('fleet_id', '=', fleetId);
      if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
      return query.orderBy('id').limit(filter.limit).execute();
    },

    async update(
      fleetId: string,
      id: string,
      changes: Partial<Pick<WebhookRow, 'url' | 'events' | 'description' | 'enabled' | 'disabled_reason' | 'failing_since'>> & {
        updated_at: string;
      },
    ): Promise<boolean> {
      const result = await db.updateTable('webhooks').set(changes).where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      forgetSubscriptions(db, fleetId);
      return Number(result.numUpdatedRows) === 1;
    },

    async delete(fleetId: string, id: string): Promise<boolean> {
      // Secrets and deliveries go with it (ON DELETE CASCADE).
      const result = await db.deleteFrom('webhooks').where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      forgetSubscriptions(db, fleetId);
      return Number(result.numDeletedRows) === 1;
    },

    /** A delivery succeeded: the endpoint is no longer failing (a write only when it was). */
    async markHealthy(fleetId: string, id: string): Promise<void> {
      await db
        .updateTable('webhooks')
        .set({ failing_since: null })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('failing_since', 'is not', null)
        .execute();
      forgetSubscriptions(db, fleetId);
    },

    /**
     * An attempt failed: the endpoint is failing since now unless it already was; failing since before `disableBefore`
     * disables it with `reason`. Returns true when this call disabled it.
     */
    async markFailing(fleetId: string, id: string, now: string, disableBefore: string, reason: string): Promise<boolean> {
      await db
        .updateTable('webhooks')
        .set({ failing_since: now })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('failing_since', 'is', null)
        .execute();
      const disabled = await db
        .updateTable('webhooks')
        .set({ enabled: 0, disabled_reason: reason, updated_at: now })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('enabled', '=', 1)
        .where('failing_since', '<=', disableBefore)
        .executeTakeFirst();
      forgetSubscriptions(db, fleetId);
      return Number(disabled.numUpdatedRows) === 1;
    },

    /** The secrets that sign now: the current one and, for 24 h after a rotation, the previous one. Newest first. */
    async liveSecrets(fleetId: string, webhookId: string, now: string): Promise<WebhookSecretRow[]> {
      return db
        .selectFrom('webhook_secrets')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', webhookId)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .orderBy('version', 'desc')
        .execute();
    },

    /**
     * A rotation: the current secret expires at `expiresAt`, older ones now (one overlap at a time), and the new one
     * is inserted. Returns false when `current` is no longer the current version (a concurrent rotation won).
     */
    async rotateSecret(fleetId: string, webhookId: string, current: number, next: WebhookSecretRow, expiresAt: string): Promise<boolean> {
      const moved = await db
        .updateTable('webhook_secrets')
        .set({ expires_at: expiresAt })
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', webhookId)
        .where('version', '=', current)
        .where('expires_at', 'is', null)
        .executeTakeFirst();
      if (Number(moved.numUpdatedRows) !== 1) return false;
      await db
        .deleteFrom('webhook_secrets')
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', webhookId)
        .where('version', '<', current)
        .execute();
      await db.insertInto('webhook_secrets').values(next).execute();
      return true;
    },
  };
}

export type WebhookRepo = ReturnType<typeof createWebhookRepo>;
