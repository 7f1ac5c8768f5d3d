import { z } from 'zod';
import { publicFieldNames } from '../brands/brand-registry.js';

export const revealQuerySchema = z.strictObject({
  version: z.coerce
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .optional()
    .describe('A kept earlier secret version (default: the current one)'),
  format: z.enum(['json', 'env']).optional().describe('`env`: a dotenv file (also chosen by `Accept: text/plain`)'),
});

/** The one response that holds secrets (docs/design.md §2.7). */
export const revealedSecretsSchema = z.object({
  id: z.string(),
  brand: z.string(),
  secret_version: z.number().int(),
  ...Object.fromEntries(publicFieldNames.map((field) => [field, z.string().optional()])),
  secrets: z.record(z.string(), z.string()),
});

export const secretVersionListSchema = z.object({
  items: z.array(
    z.object({
      secret_version: z.number().int(),
      created_at: z.string(),
      created_by: z.object({ type: z.enum(['client', 'cli', 'system', 'person']), id: z.string() }).nullable(),
      state: z.enum(['current', 'previous', 'retained']),
    }),
  ),
});

// As for credential ids, a malformed version number names no version: 404, not 422.
export const versionParamsSchema = z.strictObject({ brand: z.string().max(64), id: z.string().max(256), n: z.string().max(32) });
