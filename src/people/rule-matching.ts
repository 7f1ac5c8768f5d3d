import { type CredentialRestriction, unrestrictableScopes } from '../core/grant.js';
import { allScopes, type Scope } from '../core/scopes.js';

/** A sign-in rule as matching sees it (docs/design.md §2.11). */
export interface SignInRule {
  id: string;
  fleetId: string;
  claim: string;
  equals: string;
  scopes: readonly Scope[];
  restriction: CredentialRestriction | undefined;
}

/**
 * Whether the ID token's claims satisfy the rule: the claim is a string equal to `equals`, an array holding
 * it, or a boolean whose text is it (`email_verified` = `true`). A rule on `email` matches only a verified
 * address (OIDC Core §5.1 `email_verified`): an identity provider that lets people type any address would
 * otherwise let anyone claim an address the rule names.
 */
export function ruleMatches(rule: Pick<SignInRule, 'claim' | 'equals'>, claims: Readonly<Record<string, unknown>>): boolean {
  if (!Object.hasOwn(claims, rule.claim)) return false;
  if (rule.claim === 'email' && claims.email_verified !== true) return false;
  const value = claims[rule.claim];
  if (typeof value === 'string') return value === rule.equals;
  if (typeof value === 'boolean') return String(value) === rule.equals;
  if (Array.isArray(value)) return value.some((item) => typeof item === 'string' && item === rule.equals);
  return false;
}

/** What the matching rules of one fleet grant a person: their scopes, and the restriction they share. */
export interface PersonGrant {
  scopes: Scope[];
  restriction: CredentialRestriction | undefined;
  ruleIds: string[];
}

const intersect = (a: readonly string[] | undefined, b: readonly string[] | undefined): readonly string[] | undefined =>
  a === undefined ? b : b === undefined ? a : a.filter((x) => b.includes(x));

/**
 * The grant of a person's matching rules in one fleet (docs/design.md §2.11): the union of their scopes.
 * Restrictions never widen: when any rule is restricted, the token carries the intersection of the rules'
 * restrictions (an unrestricted rule adds none), and, restricted, it cannot hold `clients:manage` or
 * `audit:read` (docs/grants.md). Undefined when there is nothing to grant: no rule, or restrictions that
 * have no brand or credential in common.
 */
export function grantOfRules(rules: readonly SignInRule[]): PersonGrant | undefined {
  if (rules.length === 0) return undefined;
  let brands: readonly string[] | undefined;
  let credentialIds: readonly string[] | undefined;
  let restricted = false;
  for (const rule of rules) {
    if (rule.restriction === undefined) continue;
    restricted = true;
    brands = intersect(brands, rule.restriction.brands);
    credentialIds = intersect(credentialIds, rule.restriction.credentialIds);
  }
  const held = new Set(rules.flatMap((rule) => rule.scopes));
  let scopes = allScopes.filter((scope) => held.has(scope));
  if (!restricted) return { scopes, restriction: undefined, ruleIds: rules.map((r) => r.id) };
  if (brands?.length === 0 || credentialIds?.length === 0) return undefined;
  scopes = scopes.filter((scope) => !(unrestrictableScopes as readonly string[]).includes(scope));
  if (scopes.length === 0) return undefined;
  return {
    scopes,
    restriction: { ...(brands !== undefined && { brands }), ...(credentialIds !== undefined && { credentialIds }) },
    ruleIds: rules.map((r) => r.id),
  };
}
