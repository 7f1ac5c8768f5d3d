import { z } from 'zod';
import { publicFieldNames } from '../brands/brand-registry.js';

/** Case-insensitive comparison key for names: the same for `Berlin` and `BERLIN`. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}

const isoTime = z.string().describe('UTC ISO-8601 timestamp');

/** The credential view (docs/design.md §2.1): identity and setting fields, never a secret. */
export const credentialViewSchema = z.object({
  id: z.string(),
  brand: z.string(),
  name: z.string().nullable(),
  ...Object.fromEntries(publicFieldNames.map((field) => [field, z.string().optional()])),
  secret_version: z.number().int(),
  vehicle_count: z.number().int(),
  created_at: isoTime,
  updated_at: isoTime,
  secret_updated_at: isoTime,
  status: z.enum(['unknown', 'authorized', 'rejected', 'unreachable']).describe('Last brand token exchange verdict (docs/design.md §2.9)'),
  status_checked_at: isoTime.nullable(),
});

export type CredentialView = z.infer<typeof credentialViewSchema>;

export const credentialListSchema = z.object({
  items: z.array(credentialViewSchema),
  next_cursor: z.string().nullable(),
});

export const credentialListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
  name: z.string().max(1000).optional(),
  q: z.string().max(1000).optional(),
  brand: z.string().max(64).optional(),
});

export const brandParamsSchema = z.strictObject({ brand: z.string().max(64) });
// Any id up to the router's limit reaches the service, so a malformed id is 404 like an unknown one, never 422.
export const credentialParamsSchema = z.strictObject({ brand: z.string().max(64), id: z.string().max(256) });

/** Create and PATCH bodies depend on the brand, so routes accept an object and the service parses it per brand. */
export const brandBodySchema = z.record(z.string(), z.unknown()).describe("Fields of the brand's catalogue entry (GET /brands)");
