import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** What the database keeps of a flow's secret (a state, a one-time code, a device code): its SHA-256, base64url. */
export const secretHash = (value: string) => createHash('sha256').update(value).digest('base64url');

/** 256 random bits, base64url: states, codes, device codes, confirmation tokens (RFC 6749 §10.10). */
export const randomSecret = () => randomBytes(32).toString('base64url');

/** RFC 7636 §4.6: BASE64URL(SHA256(code_verifier)) equals the stored challenge (compared in constant time). */
export function verifierMatches(codeVerifier: string, codeChallenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(codeVerifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(codeChallenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/** RFC 7636 §4.1: 43–128 characters of [A-Z a-z 0-9 - . _ ~]; §4.2: an S256 challenge is 43 base64url characters. */
export const PKCE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
export const PKCE_S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * RFC 8628 §6.1: user codes from 20 consonants (no vowels, so no words; no 0/O or 1/I to misread), 8 of them
 * (20^8 ≈ 2^34.6), shown as XXXX-XXXX; the dash, spaces and case are ignored when typed back.
 */
const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';

export function randomUserCode(): string {
  // randomInt draws without modulo bias.
  return Array.from({ length: 8 }, () => USER_CODE_ALPHABET[randomInt(USER_CODE_ALPHABET.length)]).join('');
}

export const formatUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** The stored form of a typed user code, or undefined when it cannot be one. */
export function normalizeUserCode(typed: string): string | undefined {
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  return code.length === 8 && [...code].every((c) => USER_CODE_ALPHABET.includes(c)) ? code : undefined;
}
