import { z } from 'zod';
import { auditActionNames } from '../audit/audit-actions.js';

const eventNameSchema = z
  .string()
  .max(64)
  .refine((name) => name === '*' || (auditActionNames as readonly string[]).includes(name), 'must be an audit action or "*"');

// ["*"] with other names is every action: stored as ["*"] so a subscription has one spelling.
const eventsSchema = z
  .array(eventNameSchema)
  .min(1)
  .max(64)
  .transform((events) => (events.includes('*') ? ['*'] : [...new Set(events)]));

const descriptionSchema = z.string().trim().max(500).nullable();
// The URL rules themselves (https, addresses) need DNS: checked by the service, answered at /url.
const urlSchema = z.string().trim().max(2048);

export const webhookCreateSchema = z.strictObject({
  url: urlSchema,
  events: eventsSchema,
  description: descriptionSchema.optional(),
});

export const webhookPatchSchema = z.strictObject({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  description: descriptionSchema.optional(),
  enabled: z.boolean().optional(),
});

export const webhookViewSchema = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string().nullable(),
  enabled: z.boolean(),
  disabled_reason: z.string().nullable().describe('Why the vault disabled it (5 days of failed deliveries); null otherwise'),
  created_at: z.string(),
  updated_at: z.string(),
});

export type WebhookView = z.infer<typeof webhookViewSchema>;

const secretSchema = z.string().describe('`whsec_` + base64 of 32 random bytes: shown this once, store it now');

export const webhookCreatedSchema = webhookViewSchema.extend({ secret: secretSchema });

export const webhookSecretRotatedSchema = z.object({
  id: z.string(),
  secret: secretSchema,
  previous_secret_expires_at: z
    .string()
    .describe('Until then deliveries carry two signatures, the new secret\u2019s and the old one\u2019s'),
});

export const webhookListSchema = z.object({ items: z.array(webhookViewSchema), next_cursor: z.string().nullable() });

export const webhookListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
});

// A malformed id is 404 like an unknown one, never 422.
export const webhookParamsSchema = z.strictObject({ id: z.string().max(256) });

export const deliveryViewSchema = z.object({
  id: z.string(),
  event_id: z.string().describe('The audit event delivered: the `webhook-id` header of every attempt'),
  type: z.string().describe('The audit action'),
  state: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number().int(),
  last_status: z.number().int().nullable().describe('The receiver\u2019s last HTTP status; null when none came (timeout, refused, …)'),
  last_error: z.string().nullable().describe('Why the last attempt failed, in the vault\u2019s words; never the receiver\u2019s body'),
  next_attempt_at: z.string().nullable().describe('When a pending delivery is tried next; null once it is done'),
  delivered_at: z.string().nullable(),
});

export const deliveryListSchema = z.object({ items: z.array(deliveryViewSchema), next_cursor: z.string().nullable() });

export const deliveryListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
  state: z.enum(['pending', 'succeeded', 'failed']).optional(),
});

export const deliveryParamsSchema = z.strictObject({ id: z.string().max(256), deliveryId: z.string().max(256) });
