import type { z } from 'zod';
import type { AuditTrail } from '../audit/audit.service.js';
import { AppError, notFound, validationFailed } from '../core/app-error.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { ActorContext } from '../core/context.js';
import { pageOf } from '../core/pagination.js';
import { retrySecretWrite } from '../credentials/secret-write-retry.js';
import type { ActiveDataKeys, Keyring } from '../crypto/keyring.js';
import type { Store } from '../db/store.js';
import type { AuditRepos } from '../audit/audit.service.js';
import type { WebhookRepo } from './webhooks.repo.js';
import { checkWebhookUrl, type WebhookUrlRules } from './webhook-url.js';
import { newWebhookSecret, SECRET_OVERLAP_MS } from './webhook-secret.js';
import type { WebhookListKey, WebhookRow } from './webhooks.repo.js';
import type { webhookCreateSchema, webhookPatchSchema, WebhookView } from './webhooks.schemas.js';

export function toWebhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    description: row.description,
    enabled: Number(row.enabled) === 1,
    disabled_reason: row.disabled_reason,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/**
 * Webhook subscriptions (docs/design.md §2.13): the URL rules before anything is stored, the secret shown once and
 * stored sealed under the fleet's data key, rotation with a 24 h overlap, and a `webhook.*` audit event in each
 * change's own transaction.
 */
export function createWebhookService(deps: {
  /** A secret is sealed in the unit that writes it, under the data key active in that transaction (keyring.ts). */
  store: Store<{ webhooks: WebhookRepo; dataKeys: ActiveDataKeys } & AuditRepos>;
  keyring: Keyring;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  urlRules: WebhookUrlRules;
}) {
  const { store, keyring, clock, ids, audit, urlRules } = deps;
  const repo = store.repos.webhooks;

  const webhookEvent = (context: ActorContext, id: string) => ({
    fleetId: context.fleetId,
    actor: context.actor,
    target: { type: 'webhook', id },
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
  });

  /** The URL as the rules admit it, or 422 at /url saying why (DNS is asked here, before any transaction). */
  async function admittedUrl(raw: string): Promise<URL> {
    const verdict = await checkWebhookUrl(raw, urlRules);
    if (!verdict.ok) throw validationFailed([{ pointer: '/url', detail: verdict.reason }]);
    return verdict.url;
  }

  async function load(fleetId: string, id: string): Promise<WebhookRow> {
    const row = await repo.findById(fleetId, id.toUpperCase());
    if (row === undefined) throw notFound('Webhook');
    return row;
  }

  return {
    async create(context: ActorContext, input: z.infer<typeof webhookCreateSchema>): Promise<WebhookView & { secret: string }> {
      const url = await admittedUrl(input.url);
      const secret = newWebhookSecret();
      const id = ids.next();
      return retrySecretWrite(false, async () => {
        const now = clock.now().toISOString();
        const row: WebhookRow = {
          id,
          fleet_id: context.fleetId,
          url: url.href,
          events: JSON.stringify(input.events),
          description: input.description ?? null,
          enabled: 1,
          disabled_reason: null,
          failing_since: null,
          created_at: now,
          updated_at: now,
        };
        await store.transaction(
          async (repos) => {
            // Sealed in the unit, under the key active in its transaction (keyring.ts).
            const { sealed, dataKeyId } = await keyring.sealWebhookSecret(repos.dataKeys, context.fleetId, id, 1, secret);
            const secretRow = {
              ...{ webhook_id: id, fleet_id: context.fleetId, version: 1, sealed_secret: sealed, data_key_id: dataKeyId },
              ...{ created_at: now, expires_at: null },
            };
            await repos.webhooks.insert(row, secretRow);
            await audit.append(repos, {
              ...webhookEvent(context, id),
              action: 'webhook.created',
              details: { host: url.host, events: input.events },
            });
          },
          { fleetId: context.fleetId },
        );
        return { ...toWebhookView(row), secret };
      });
    },

    async get(fleetId: string, id: string): Promise<WebhookView> {
      return toWebhookView(await load(fleetId, id));
    },

    async list(fleetId: string, query: { limit: number; after?: WebhookListKey | undefined }) {
      const rows = await repo.list(fleetId, { afterId: query.after?.[0], limit: query.limit + 1 });
      return pageOf(rows, query.limit, toWebhookView, (r) => [r.id]);
    },

    async update(context: ActorContext, id: string, input: z.infer<typeof webhookPatchSchema>): Promise<WebhookView> {
      if (Object.values(input).every((value) => value === undefined)) {
        throw validationFailed([{ pointer: '', detail: 'give at least one of: url, events, description, enabled' }]);
      }
      const current = await load(context.fleetId, id);
      const url = input.url === undefined ? undefined : (await admittedUrl(input.url)).href;
      const changes = {
        ...(url !== undefined && { url }),
        ...(input.events !== undefined && { events: JSON.stringify(input.events) }),
        ...(input.description !== undefined && { description: input.description }),
        // Enabling again forgets why it was disabled and how long it had been failing.
        ...(input.enabled !== undefined && {
          enabled: input.enabled ? 1 : 0,
          ...(input.enabled && { disabled_reason: null, failing_since: null }),
        }),
        updated_at: clock.now().toISOString(),
      };
      const fields = Object.keys(input).filter((key) => input[key as keyof typeof input] !== undefined);
      await store.transaction(
        async (repos) => {
          if (!(await repos.webhooks.update(context.fleetId, current.id, changes))) throw notFound('Webhook');
          const enabled = input.enabled ?? Number(current.enabled) === 1;
          await audit.append(repos, { ...webhookEvent(context, current.id), action: 'webhook.updated', details: { fields, enabled } });
        },
        { fleetId: context.fleetId },
      );
      return toWebhookView(await load(context.fleetId, current.id));
    },

    async delete(context: ActorContext, id: string): Promise<void> {
      await store.transaction(
        async (repos) => {
          const current = await repos.webhooks.findById(context.fleetId, id.toUpperCase());
          if (current === undefined || !(await repos.webhooks.delete(context.fleetId, current.id))) throw notFound('Webhook');
          await audit.append(repos, { ...webhookEvent(context, current.id), action: 'webhook.deleted', details: {} });
        },
        { fleetId: context.fleetId },
      );
    },

    /** A new secret; the current one keeps signing beside it for 24 h (two signatures), older ones stop now. */
    async rotateSecret(context: ActorContext, id: string): Promise<{ id: string; secret: string; previous_secret_expires_at: string }> {
      const current = await load(context.fleetId, id);
      const secret = newWebhookSecret();
      return retrySecretWrite(false, async () => {
        const now = clock.now();
        const live = await repo.liveSecrets(context.fleetId, current.id, now.toISOString());
        const version = live.find((s) => s.expires_at === null)?.version ?? Math.max(0, ...live.map((s) => s.version));
        const expiresAt = new Date(now.getTime() + SECRET_OVERLAP_MS).toISOString();
        await store.transaction(
          async (repos) => {
            // Sealed in the unit, under the key active in its transaction (keyring.ts).
            const { sealed, dataKeyId } = await keyring.sealWebhookSecret(repos.dataKeys, context.fleetId, current.id, version + 1, secret);
            const next = {
              ...{ webhook_id: current.id, fleet_id: context.fleetId, version: version + 1, sealed_secret: sealed, data_key_id: dataKeyId },
              ...{ created_at: now.toISOString(), expires_at: null },
            };
            if (!(await repos.webhooks.rotateSecret(context.fleetId, current.id, version, next, expiresAt))) {
              throw new AppError('conflicting-resource', 'The secret was rotated meanwhile by another request; rotate again if needed.');
            }
            await audit.append(repos, {
              ...webhookEvent(context, current.id),
              action: 'webhook.secret_rotated',
              details: { previous_expires_at: expiresAt },
            });
          },
          { fleetId: context.fleetId },
        );
        return { id: current.id, secret, previous_secret_expires_at: expiresAt };
      });
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;
