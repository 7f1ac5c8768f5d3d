import type { z } from 'zod';
import { AppError, notFound } from '../core/app-error.js';
import type { Clock } from '../core/clock.js';
import type { Grant } from '../core/grant.js';
import { pageOf } from '../core/pagination.js';
import type { Store } from '../db/store.js';
import type { WebhookDeliveryRepo } from './webhook-deliveries.repo.js';
import type { WebhookRepo } from './webhooks.repo.js';
import type { DeliveryListKey, DeliveryRow } from './webhook-deliveries.repo.js';
import type { deliveryListQuerySchema, deliveryViewSchema } from './webhooks.schemas.js';

type DeliveryView = z.infer<typeof deliveryViewSchema>;

function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    event_id: row.event_id,
    type: row.type,
    state: row.state,
    attempts: Number(row.attempts),
    last_status: row.last_status === null ? null : Number(row.last_status),
    last_error: row.last_error,
    next_attempt_at: row.state === 'pending' ? row.next_attempt_at : null,
    delivered_at: row.delivered_at,
  };
}

/** A webhook's deliveries (docs/design.md §2.13): newest first, and a failed one sent again on request. */
export function createWebhookDeliveryService(deps: {
  store: Store<{ webhooks: WebhookRepo; webhookDeliveries: WebhookDeliveryRepo }>;
  clock: Clock;
}) {
  const { store, clock } = deps;
  const { webhooks, webhookDeliveries } = store.repos;

  async function webhookOf(grant: Grant, id: string): Promise<string> {
    const row = await webhooks.findById(grant.fleetId, id.toUpperCase());
    if (row === undefined) throw notFound('Webhook');
    return row.id;
  }

  return {
    async list(
      grant: Grant,
      webhookId: string,
      query: Omit<z.infer<typeof deliveryListQuerySchema>, 'cursor'> & { after?: DeliveryListKey | undefined },
    ) {
      const id = await webhookOf(grant, webhookId);
      const rows = await webhookDeliveries.list(grant.fleetId, id, {
        state: query.state,
        beforeId: query.after?.[0],
        limit: query.limit + 1,
      });
      return pageOf(rows, query.limit, toDeliveryView, (r) => [r.id]);
    },

    /** Pending again now with a fresh schedule; only a failed delivery (409 otherwise: it is pending or done). */
    async retry(grant: Grant, webhookId: string, deliveryId: string): Promise<DeliveryView> {
      const id = await webhookOf(grant, webhookId);
      const current = await webhookDeliveries.find(grant.fleetId, id, deliveryId.toUpperCase());
      if (current === undefined) throw notFound('Delivery');
      if (!(await webhookDeliveries.retry(grant.fleetId, id, current.id, clock.now().toISOString()))) {
        throw new AppError('conflicting-resource', `Only a failed delivery can be retried; this one is ${current.state}.`);
      }
      return toDeliveryView((await webhookDeliveries.find(grant.fleetId, id, current.id))!);
    },
  };
}

export type WebhookDeliveryService = ReturnType<typeof createWebhookDeliveryService>;
