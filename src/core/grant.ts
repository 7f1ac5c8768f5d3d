import { z } from 'zod';
import { ULID_PATTERN } from './clock.js';

/**
 * What a client may reach inside its fleet (docs/grants.md): credentials of these brands and/or
 * with these ids. Both given: a credential must match both. Absent: the whole fleet.
 */
export interface CredentialRestriction {
  readonly brands?: readonly string[] | undefined;
  /** Upper-case ULIDs, as ids are stored. */
  readonly credentialIds?: readonly string[] | undefined;
}

/**
 * Who may see what: the caller's fleet and, for a restricted client, its restriction. Routes build
 * it from the verified token and pass it to the service, which passes it to the repository's query.
 */
export interface Grant {
  readonly fleetId: string;
  /** Undefined: every credential of the fleet (the fast path: no extra condition in any query). */
  readonly restriction?: CredentialRestriction | undefined;
}

/** Whether a credential of `brand` could be inside the restriction (ids aside). */
export function allowsBrand(restriction: CredentialRestriction | undefined, brand: string): boolean {
  return restriction?.brands === undefined || restriction.brands.includes(brand);
}

/** Scopes a restricted client cannot hold: they reach beyond credentials (other clients, the fleet's whole trail, its events). */
export const unrestrictableScopes = ['clients:manage', 'audit:read', 'webhooks:manage'] as const;

/** The `rst` claim of an access token: short keys, as the token travels with every request. */
const claimSchema = z.strictObject({
  b: z.array(z.string().max(64)).min(1).max(100).optional(),
  c: z.array(z.string().regex(ULID_PATTERN)).min(1).max(1000).optional(),
});

export function restrictionClaim(restriction: CredentialRestriction): { b?: string[]; c?: string[] } {
  return {
    ...(restriction.brands !== undefined && { b: [...restriction.brands] }),
    ...(restriction.credentialIds !== undefined && { c: [...restriction.credentialIds] }),
  };
}

/** The restriction of a verified token's `rst` claim; undefined when there is none, a TypeError when it is malformed. */
export function restrictionOfClaim(claim: unknown): CredentialRestriction | undefined {
  if (claim === undefined) return undefined;
  const parsed = claimSchema.safeParse(claim);
  if (!parsed.success || (parsed.data.b === undefined && parsed.data.c === undefined)) throw new TypeError('malformed rst claim');
  return { brands: parsed.data.b, credentialIds: parsed.data.c };
}

/** The stored form (a JSON text column, null = unrestricted) and back. */
export function storedRestriction(restriction: CredentialRestriction | undefined): string | null {
  return restriction === undefined ? null : JSON.stringify(restrictionView(restriction));
}

export function parseStoredRestriction(text: string | null): CredentialRestriction | undefined {
  if (text === null) return undefined;
  const value = JSON.parse(text) as { brands?: string[]; credential_ids?: string[] };
  return { brands: value.brands, credentialIds: value.credential_ids };
}

/** As the API shows it (`restrict` of a client). */
export function restrictionView(restriction: CredentialRestriction): { brands?: string[]; credential_ids?: string[] } {
  return {
    ...(restriction.brands !== undefined && { brands: [...restriction.brands] }),
    ...(restriction.credentialIds !== undefined && { credential_ids: [...restriction.credentialIds] }),
  };
}
