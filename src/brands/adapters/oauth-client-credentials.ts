import type { BrandAnswer, BrandToken } from '../brand-adapter.js';

/** An `application/x-www-form-urlencoded` body (RFC 6749 §4.4.2, Appendix B). */
export function formBody(params: Record<string, string | undefined>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) form.set(name, value);
  return form.toString();
}

export const formHeaders = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

/** RFC 6749 §2.3.1: client id and secret are form-encoded, then joined by a colon and base64-encoded. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * The longest lifetime the vault believes. A brand that announces `expires_in: 1e13` would
 * otherwise put an expiry past the largest Date (ECMA-262 §21.4.1.1, ±8.64e15 ms) into the cache,
 * which then cannot be serialised. No brand we support documents tokens that live longer than a
 * day (docs/brands.md), and a shorter cache entry only costs one more exchange.
 */
export const MAX_LIFETIME_SECONDS = 24 * 60 * 60;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A token answer (RFC 6749 §5.1), or undefined when the body is not one. */
export function readTokenBody(body: unknown, defaultLifetimeSeconds: number): BrandToken | undefined {
  if (!isObject(body)) return undefined;
  const { access_token, token_type, expires_in, scope } = body;
  if (typeof access_token !== 'string' || access_token.length === 0 || access_token.length > 16_384) return undefined;
  // expires_in is RECOMMENDED, not required (§5.1): without it, the brand's documented lifetime.
  const lifetime = expires_in === undefined ? defaultLifetimeSeconds : Number(expires_in);
  if (!Number.isFinite(lifetime) || lifetime <= 0) return undefined;
  return {
    access_token,
    token_type: typeof token_type === 'string' && token_type.length <= 64 ? token_type : 'Bearer',
    expires_in: Math.floor(Math.min(lifetime, MAX_LIFETIME_SECONDS)),
    scope: typeof scope === 'string' && scope.length <= 2048 ? scope : undefined,
  };
}

/** The `error` member of an RFC 6749 §5.2 body, if any; the service filters it before showing it. */
export function oauthErrorCode(body: unknown): string | undefined {
  return isObject(body) && typeof body.error === 'string' ? body.error : undefined;
}

/**
 * The answer of an RFC 6749 token endpoint. 400, 401 and 403 are the brand refusing what was sent
 * (§5.2: invalid_client, invalid_grant, unauthorized_client, invalid_scope); anything else is not
 * an answer the vault can act on. 5xx and 429 never get here: the client retries them.
 */
export function readOAuthAnswer(status: number, body: unknown, defaultLifetimeSeconds: number): BrandAnswer {
  if (status === 200) {
    const token = readTokenBody(body, defaultLifetimeSeconds);
    return token ? { kind: 'token', token } : { kind: 'unusable', code: undefined };
  }
  if (status === 400 || status === 401 || status === 403) return { kind: 'rejected', code: oauthErrorCode(body) };
  return { kind: 'unusable', code: oauthErrorCode(body) };
}
