import { z } from 'zod';
import { findBrand } from '../brands/brand-registry.js';
import { type CredentialRestriction, unrestrictableScopes } from '../core/grant.js';
import { ulidSchema } from '../core/schemas.js';
import type { Scope } from '../core/scopes.js';
import { validationFailed } from '../core/app-error.js';
import { parseOrThrow } from '../core/validation.js';

/** `restrict` of a client (docs/grants.md), as the API takes and shows it. */
export const restrictSchema = z
  .strictObject({
    brands: z.array(z.string().trim().max(64)).min(1).max(50).optional().describe('Brand slugs (see GET /brands)'),
    credential_ids: z.array(ulidSchema).min(1).max(500).optional().describe('Credential ids (ULIDs)'),
  })
  .refine((r) => r.brands !== undefined || r.credential_ids !== undefined, 'give brands, credential_ids or both')
  .describe('Only credentials of these brands and/or with these ids (both given: a credential must match both); null: the whole fleet');

export const restrictViewSchema = z
  .object({ brands: z.array(z.string()).optional(), credential_ids: z.array(z.string()).optional() })
  .nullable()
  .describe('The credentials this client may reach (docs/grants.md); null: the whole fleet');

/**
 * A client's restriction from its `restrict` input (null or undefined: none). Unknown brands, empty
 * lists and a restricted client holding `clients:manage`, `audit:read` or `webhooks:manage` are 422.
 */
export function parseRestriction(raw: unknown, scopes: readonly Scope[]): CredentialRestriction | undefined {
  if (raw === undefined || raw === null) return undefined;
  const input = parseOrThrow(restrictSchema, raw, '/restrict');
  const brands = input.brands?.map((slug, i) => {
    const brand = findBrand(slug);
    if (brand === undefined)
      throw validationFailed([{ pointer: `/restrict/brands/${i}`, detail: 'is not a known brand (see GET /brands)' }]);
    return brand.slug;
  });
  const refused = scopes.filter((s) => (unrestrictableScopes as readonly string[]).includes(s));
  if (refused.length > 0) {
    throw validationFailed(
      [{ pointer: '/scopes', detail: `a restricted client cannot hold ${refused.join(' ')}` }],
      'A restricted client cannot hold clients:manage, audit:read or webhooks:manage: they reach beyond its credentials.',
    );
  }
  return {
    ...(brands !== undefined && { brands: [...new Set(brands)] }),
    ...(input.credential_ids !== undefined && { credentialIds: [...new Set(input.credential_ids)] }),
  };
}
