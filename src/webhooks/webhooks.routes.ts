import { z } from 'zod';
import { actorContext, grantOf } from '../http/auth.js';
import { cursorParam } from '../http/pagination-params.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import { WEBHOOK_LIST_KEY } from './webhooks.repo.js';
import {
  deliveryListQuerySchema,
  deliveryListSchema,
  deliveryParamsSchema,
  deliveryViewSchema,
  webhookCreatedSchema,
  webhookCreateSchema,
  webhookListQuerySchema,
  webhookListSchema,
  webhookParamsSchema,
  webhookPatchSchema,
  webhookSecretRotatedSchema,
  webhookViewSchema,
} from './webhooks.schemas.js';
import type { WebhookService } from './webhooks.service.js';
import type { WebhookDeliveryService } from './webhook-deliveries.service.js';
import { DELIVERY_LIST_KEY } from './webhook-deliveries.repo.js';

const tags = ['webhooks'];
const config = { scope: 'webhooks:manage' } as const;
const urlRules =
  '`url` must be `https://` and its host must not resolve to a loopback, private, link-local or multicast address ' +
  '(422 at `/url`), unless the operator allow-listed the host (docs/webhooks.md).';

/** `/webhooks` (docs/design.md §2.13): the fleet's subscriptions to its change events. */
export function registerWebhookRoutes(app: App, service: WebhookService, deliveries: WebhookDeliveryService) {
  app.post('/webhooks', {
    config,
    schema: {
      tags,
      operationId: 'createWebhook',
      summary: 'Subscribe a URL to the fleet\u2019s change events',
      description:
        '`events` lists audit actions (`credential.rotated`, …) or `["*"]`. Each matching audit event of the fleet is POSTed to ' +
        '`url` as a Standard Webhooks delivery signed with `secret`, which is shown this once. ' +
        urlRules,
      security: bearerSecurity,
      body: webhookCreateSchema,
      response: { 201: webhookCreatedSchema.describe('Created: the webhook, with its signing secret this once') },
    },
    handler: async (request, reply) => {
      const created = await service.create(actorContext(request), request.body);
      return reply.code(201).header('location', `/webhooks/${created.id}`).send(created);
    },
  });

  app.get('/webhooks', {
    config,
    schema: {
      tags,
      operationId: 'listWebhooks',
      summary: 'List the fleet\u2019s webhooks',
      description: 'Keyset paged with `limit` and `cursor` like credentials. Never a secret.',
      security: bearerSecurity,
      querystring: webhookListQuerySchema,
      response: { 200: webhookListSchema.describe('A page of webhooks; `next_cursor` is null on the last page') },
    },
    handler: async (request) =>
      service.list(grantOf(request).fleetId, { limit: request.query.limit, after: cursorParam(request.query.cursor, WEBHOOK_LIST_KEY) }),
  });

  app.get('/webhooks/:id', {
    config,
    schema: {
      tags,
      operationId: 'getWebhook',
      summary: 'Read a webhook',
      description: 'Another fleet\u2019s webhook is 404. Never the secret.',
      security: bearerSecurity,
      params: webhookParamsSchema,
      response: { 200: webhookViewSchema.describe('The webhook'), ...problemResponses('not-found') },
    },
    handler: async (request) => service.get(grantOf(request).fleetId, request.params.id),
  });

  app.patch('/webhooks/:id', {
    config,
    schema: {
      tags,
      operationId: 'updateWebhook',
      summary: 'Change a webhook\u2019s URL, events or description, or enable or disable it',
      description: `Enabling a webhook the vault disabled clears \`disabled_reason\`; its pending deliveries resume. ${urlRules}`,
      security: bearerSecurity,
      params: webhookParamsSchema,
      body: webhookPatchSchema,
      response: { 200: webhookViewSchema.describe('The updated webhook'), ...problemResponses('not-found') },
    },
    handler: async (request) => service.update(actorContext(request), request.params.id, request.body),
  });

  app.delete('/webhooks/:id', {
    config,
    schema: {
      tags,
      operationId: 'deleteWebhook',
      summary: 'Delete a webhook',
      description: 'Its secrets and its deliveries, pending ones included, go with it.',
      security: bearerSecurity,
      params: webhookParamsSchema,
      response: { 204: z.undefined().describe('Deleted'), ...problemResponses('not-found') },
    },
    handler: async (request, reply) => {
      await service.delete(actorContext(request), request.params.id);
      return reply.code(204).send();
    },
  });

  app.post('/webhooks/:id/secret', {
    config,
    schema: {
      tags,
      operationId: 'rotateWebhookSecret',
      summary: 'Rotate a webhook\u2019s signing secret',
      description:
        'The new secret is shown this once. For 24 hours deliveries carry two signatures, the new secret\u2019s and the previous ' +
        'one\u2019s, so receivers can switch without losing a delivery.',
      security: bearerSecurity,
      params: webhookParamsSchema,
      response: {
        200: webhookSecretRotatedSchema.describe('Rotated: the new secret this once'),
        ...problemResponses('not-found', 'conflicting-resource'),
      },
    },
    handler: async (request) => service.rotateSecret(actorContext(request), request.params.id),
  });

  app.get('/webhooks/:id/deliveries', {
    config,
    schema: {
      tags,
      operationId: 'listWebhookDeliveries',
      summary: 'List a webhook’s deliveries, newest first',
      description: 'Filtered by `state` (`pending`, `succeeded`, `failed`), keyset paged with `limit` and `cursor`. Never a body.',
      security: bearerSecurity,
      params: webhookParamsSchema,
      querystring: deliveryListQuerySchema,
      response: {
        200: deliveryListSchema.describe('A page of deliveries; `next_cursor` is null on the last page'),
        ...problemResponses('not-found'),
      },
    },
    handler: async (request) => {
      const { cursor, ...query } = request.query;
      return deliveries.list(grantOf(request), request.params.id, { ...query, after: cursorParam(cursor, DELIVERY_LIST_KEY) });
    },
  });

  app.post('/webhooks/:id/deliveries/:deliveryId/retry', {
    config,
    schema: {
      tags,
      operationId: 'retryWebhookDelivery',
      summary: 'Send a failed delivery again',
      description:
        'The delivery is pending again at once, with the whole retry schedule ahead of it; the same `webhook-id`. ' +
        '409 unless it is `failed`.',
      security: bearerSecurity,
      params: deliveryParamsSchema,
      response: {
        200: deliveryViewSchema.describe('The delivery, pending again'),
        ...problemResponses('not-found', 'conflicting-resource'),
      },
    },
    handler: async (request) => deliveries.retry(grantOf(request), request.params.id, request.params.deliveryId),
  });
}
