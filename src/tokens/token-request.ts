import type { FastifyRequest } from 'fastify';
import { CONSOLE_CLIENT_ID } from '../sign-in/console-sign-in.service.js';
import { CLI_CLIENT_ID } from '../sign-in/device-sign-in.service.js';
import { InvalidClient } from './oauth-errors.js';

/** What a token request says about its client before anything is verified: shared by both token endpoints. */

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret. */
export function parseBasic(header: string | undefined) {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // U+0000 is in no client id or secret, and PostgreSQL text cannot hold it.
  if (colon < 0 || decoded.includes('\u0000')) throw new InvalidClient('malformed HTTP Basic credentials');
  const formDecode = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {
      throw new InvalidClient('malformed HTTP Basic credentials');
    }
  };
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}

/**
 * The client id a token request claims (rate limits and logs; unverified), as the endpoint reads it:
 * the HTTP Basic user name form-decoded (RFC 6749 §2.3.1, so `%41BC` is `ABC`), the body's
 * client_id, or the assertion's iss. Undefined when malformed Basic or nothing names a client.
 */
export function claimedTokenClient(request: FastifyRequest): string | undefined {
  let basic;
  try {
    basic = parseBasic(request.headers.authorization);
  } catch {
    return undefined;
  }
  const body = (request.body ?? {}) as Record<string, unknown>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const jwt = text(body.client_assertion) ?? text(body.assertion);
  const id = basic?.clientId ?? text(body.client_id) ?? assertionIssuer(jwt);
  // The public clients of person sign-in are shared by every person: their requests count per address only.
  if (id === CONSOLE_CLIENT_ID || id === CLI_CLIENT_ID) return undefined;
  return id === undefined ? undefined : id.slice(0, 64).toUpperCase();
}

/** The `iss` claim of a JWT, read without verifying it; undefined when there is none. */
export function assertionIssuer(jwt: string | undefined): string | undefined {
  const payload = jwt?.split('.')[1];
  if (payload === undefined || payload.length > 8192) return undefined;
  try {
    const iss = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}
