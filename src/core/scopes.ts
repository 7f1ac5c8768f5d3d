import { z } from 'zod';

/** docs/design.md §2.3. */
export const allScopes = [
  'credentials:read',
  'credentials:write',
  'credentials:reveal',
  'credentials:exchange',
  'vehicles:read',
  'vehicles:write',
  'clients:manage',
  'audit:read',
  'webhooks:manage',
] as const;

export type Scope = (typeof allScopes)[number];

/**
 * What a client gets when no scopes are given: read only. Revealing or exchanging a secret,
 * managing clients and managing webhooks are granted only when named (least privilege).
 */
export const defaultScopes: readonly Scope[] = ['credentials:read', 'vehicles:read'];
/** What each scope allows, as the OpenAPI document's oauth2 scheme shows it (Swagger UI's Authorize dialog). */
export const scopeMeanings: Record<Scope, string> = {
  'credentials:read': 'Read credential views (never a secret), list credentials and their secret versions',
  'credentials:write': 'Store, rotate, restore and delete credentials',
  'credentials:reveal': 'Reveal stored secrets (each call is an audit event); implied by no other scope',
  'credentials:exchange': 'Obtain a brand access token with the stored secrets (the secret never leaves the vault)',
  'vehicles:read': 'Read and list vehicles',
  'vehicles:write': 'Add, reassign, rename and delete vehicles',
  'clients:manage': 'Create, list, rotate and delete the fleet\u2019s API clients',
  'audit:read': 'Read the fleet\u2019s audit trail and its head',
  'webhooks:manage': 'Create, list, change and delete the fleet\u2019s webhooks, see and retry their deliveries; implied by no other scope',
};

export const scopeSchema = z.enum(allScopes);

export function isScope(value: string): value is Scope {
  return (allScopes as readonly string[]).includes(value);
}

/** Space-delimited scope string (RFC 6749 §3.3) into a de-duplicated list, rejecting unknown scopes. */
export function parseScopeList(text: string): { scopes: Scope[]; unknown: string[] } {
  const parts = [...new Set(text.split(/[\s,]+/).filter((s) => s.length > 0))];
  return { scopes: parts.filter(isScope), unknown: parts.filter((s) => !isScope(s)) };
}
