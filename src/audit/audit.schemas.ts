import { z } from 'zod';
import { auditActionNames } from './audit-actions.js';

const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time, e.g. 2026-12-01T10:00:00Z' });
const idFilter = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._:-]+$/, 'must be an id');

export const auditListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
  action: z.enum(auditActionNames as [string, ...string[]]).optional(),
  target_id: idFilter.optional(),
  actor_id: idFilter.optional(),
  since: isoTime.optional(),
  until: isoTime.optional(),
});

export type AuditListQuery = z.infer<typeof auditListQuerySchema>;

export const auditEventSchema = z.object({
  id: z.string(),
  fleet_id: z.string().nullable(),
  seq: z.number().int(),
  at: z.string(),
  actor: z.object({
    type: z.enum(['client', 'cli', 'system', 'person']),
    id: z.string(),
    label: z.string().optional().describe('A person\u2019s email or name (docs/people.md)'),
  }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string().nullable(), brand: z.string().optional() }),
  request_id: z.string().nullable(),
  client_request_id: z.string().optional(),
  outcome: z.enum(['success', 'failure']),
  details: z.record(z.string(), z.unknown()),
  prev_hash: z.string(),
  hash: z.string(),
});

export const auditListSchema = z.object({ items: z.array(auditEventSchema), next_cursor: z.string().nullable() });

export const auditHeadSchema = z.object({
  fleet_id: z.string(),
  seq: z.number().int(),
  hash: z.string(),
  at: z.string().nullable(),
});
