import { type Kysely, type Selectable, sql } from 'kysely';
import type { AuditEvent } from '../audit/audit-chain.js';
import { toAuditEvent } from '../audit/audit.repo.js';
import { compiledQuery } from '../db/compiled-query.js';
import type { Engine } from '../db/database.js';
import { batchMemo } from '../db/batch-memo.js';
import type { DB, WebhookDeliveriesTable } from '../db/schema.js';
import { subscriptionsMemoKey } from './webhooks.repo.js';

export type DeliveryRow = Selectable<WebhookDeliveriesTable>;
export type DeliveryState = DeliveryRow['state'];

/** A delivery list page's keyset: the last delivery's id (newest first, ids are ULIDs). */
export type DeliveryListKey = readonly [id: string];
export const DELIVERY_LIST_KEY = ['string'] as const;

// Every audit append runs this (the outbox's one read): compiled once, an indexed point query.
const enabledWebhooksQuery = compiledQuery(['fleetId'], (db, v) =>
  db.selectFrom('webhooks').select(['id', 'events']).where('fleet_id', '=', v.fleetId).where('enabled', '=', 1),
);

/** True when a subscription's `events` (JSON: actions, or ["*"]) names the action. */
export function subscribes(events: string, action: string): boolean {
  const list = JSON.parse(events) as string[];
  return list.includes('*') || list.includes(action);
}

/**
 * SQL of the outbox (docs/design.md §2.13). `enqueue` runs inside the audit append's transaction; the claim,
 * the outcome and the reads run on the pool, one statement each.
 */
export function createWebhookDeliveryRepo(db: Kysely<DB>, engine: Engine) {
  /**
   * The fleet's enabled subscriptions, read once per group-commit batch and kept in its memo for the batch's later
   * units (one round trip less per event on PostgreSQL). Nothing else changes them while the batch runs: every
   * audited writer of a fleet's webhooks queues behind the batch (SQLite: one writer; PostgreSQL: the fleet's row
   * lock taken at BEGIN, and its chain head), and the units of the batch that write them drop the entry
   * (`forgetSubscriptions`, webhooks.repo.ts), as does a unit's failure. The dispatcher's pool writes are the
   * exception: a disable it commits mid-batch (PostgreSQL) is seen from the next batch on, so the batch's later
   * events may still be queued for it, as they would had they come just before it; claimDue skips them while disabled.
   */
  async function enabledSubscriptions(fleetId: string): Promise<readonly { id: string; events: string }[]> {
    const memo = batchMemo(db);
    const known = memo?.get(subscriptionsMemoKey(fleetId)) as readonly { id: string; events: string }[] | undefined;
    if (known !== undefined) return known;
    const { rows } = await enabledWebhooksQuery(db, engine, { fleetId });
    memo?.set(subscriptionsMemoKey(fleetId), rows);
    return rows;
  }

  return {
    /**
     * One pending delivery per enabled subscription of the event's fleet that subscribes to its action, written
     * by the audit event's own unit of work: they commit with the change, or roll back with it.
     */
    async enqueue(event: Pick<AuditEvent, 'id' | 'fleet_id' | 'action' | 'at'>, newId: () => string): Promise<number> {
      if (event.fleet_id === null) return 0;
      const matching = (await enabledSubscriptions(event.fleet_id)).filter((row) => subscribes(row.events, event.action));
      if (matching.length === 0) return 0;
      await db
        .insertInto('webhook_deliveries')
        .values(
          matching.map((row) => ({
            id: newId(),
            fleet_id: event.fleet_id!,
            webhook_id: row.id,
            event_id: event.id,
            type: event.action,
            state: 'pending' as const,
            attempts: 0,
            next_attempt_at: event.at,
            created_at: event.at,
          })),
        )
        .execute();
      return matching.length;
    },

    /**
     * Takes up to `limit` due deliveries of enabled webhooks and moves their next attempt to `leaseUntil`, so no
     * other replica takes them meanwhile; a process killed mid-send leaves them to be taken again once the lease
     * ends (at least once). PostgreSQL: `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take disjoint rows
     * (https://www.postgresql.org/docs/current/sql-select.html#SQL-FOR-UPDATE-SHARE); SQLite has one writer.
     */
    async claimDue(now: string, leaseUntil: string, limit: number): Promise<DeliveryRow[]> {
      const lock = engine === 'postgres' ? sql`FOR UPDATE OF d SKIP LOCKED` : sql``;
      const result = await sql<DeliveryRow>`
        UPDATE webhook_deliveries SET next_attempt_at = ${leaseUntil}, attempts = attempts + 1
        WHERE id IN (
          SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.state = 'pending' AND d.next_attempt_at <= ${now} AND w.enabled = 1
          ORDER BY d.next_attempt_at LIMIT ${limit} ${lock}
        )
        RETURNING *`.execute(db);
      return result.rows.map((row) => ({ ...row, attempts: Number(row.attempts) }));
    },

    /** The audit events the claimed deliveries carry. */
    async events(ids: readonly string[]): Promise<Map<string, AuditEvent>> {
      if (ids.length === 0) return new Map();
      const rows = await db.selectFrom('audit_events').selectAll().where('id', 'in', ids).execute();
      return new Map(rows.map((row) => [row.id, toAuditEvent(row)]));
    },

    /** Records an attempt's outcome: done (`succeeded`/`failed`) or pending again at `next_attempt_at`. */
    async record(
      id: string,
      outcome: Pick<DeliveryRow, 'state' | 'next_attempt_at' | 'last_status' | 'last_error' | 'delivered_at'>,
    ): Promise<void> {
      await db.updateTable('webhook_deliveries').set(outcome).where('id', '=', id).where('state', '=', 'pending').execute();
    },

    async list(
      fleetId: string,
      webhookId: string,
      filter: { state?: DeliveryState | undefined; beforeId?: string | undefined; limit: number },
    ): Promise<DeliveryRow[]> {
      let query = db.selectFrom('webhook_deliveries').selectAll().where('fleet_id', '=', fleetId).where('webhook_id', '=', webhookId);
      if (filter.state !== undefined) query = query.where('state', '=', filter.state);
      if (filter.beforeId !== undefined) query = query.where('id', '<', filter.beforeId);
      return query.orderBy('id', 'desc').limit(filter.limit).execute();
    },

    async find(fleetId: string, webhookId: string, id: string): Promise<DeliveryRow | undefined> {
      return db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', webhookId)
        .where('id', '=', id)
        .executeTakeFirst();
    },

    /** A failed delivery pending again now, with a fresh schedule; false when it is not failed. */
    async retry(fleetId: string, webhookId: string, id: string, now: string): Promise<boolean> {
      const result = await db
        .updateTable('webhook_deliveries')
        .set({ state: 'pending', attempts: 0, next_attempt_at: now, delivered_at: null })
        .where('fleet_id', '=', fleetId)
        .where('webhook_id', '=', webhookId)
        .where('id', '=', id)
        .where('state', '=', 'failed')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Queue depth and the oldest pending delivery's creation time (the metrics). */
    async pendingStats(): Promise<{ pending: number; oldest: string | null }> {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('state', '=', 'pending')
        .executeTakeFirst();
      return { pending: Number(row?.n ?? 0), oldest: (row?.oldest as string | null | undefined) ?? null };
    },
  };
}

export type WebhookDeliveryRepo = ReturnType<typeof createWebhookDeliveryRepo>;
