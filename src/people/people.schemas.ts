import { z } from 'zod';
import { restrictSchema, restrictViewSchema } from '../clients/client-restriction.js';
import { scopeSchema } from '../core/scopes.js';

export const signInRuleViewSchema = z.object({
  id: z.string(),
  fleet_id: z.string(),
  claim: z.string().describe('The ID token claim the rule reads (a string or an array of strings; `email` only when verified)'),
  equals: z.string().describe('The value the claim must equal (or, for an array, hold)'),
  scopes: z.array(scopeSchema),
  restrict: restrictViewSchema,
  created_at: z.string(),
});

export const signInRuleCreateSchema = z.strictObject({
  claim: z.string().max(100).describe('An ID token claim: `groups`, `email`, `email_verified`, `hd`, …'),
  equals: z.string().max(256),
  scopes: z
    .array(scopeSchema)
    .min(1)
    .max(20)
    .optional()
    .describe(
      'At most the scopes the caller holds; default credentials:read vehicles:read (reveal, exchange and clients:manage only by name)',
    ),
  restrict: restrictSchema.nullish(),
});

export const listQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export const signInRuleListSchema = z.object({ items: z.array(signInRuleViewSchema), next_cursor: z.string().nullable() });

/** A malformed id is simply not found (404), as for every resource. */
export const signInRuleParamsSchema = z.strictObject({ id: z.string().max(256) });

export const personViewSchema = z.object({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  issuer: z.string().describe('The identity provider\u2019s issuer'),
  subject: z.string().describe('The person\u2019s `sub` at that issuer'),
  first_signed_in_at: z.string().describe('Their first sign-in to this fleet'),
  last_signed_in_at: z.string().describe('Their latest sign-in to this fleet'),
});

export const personListSchema = z.object({ items: z.array(personViewSchema), next_cursor: z.string().nullable() });
