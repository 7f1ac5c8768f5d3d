import { verify as verifySignature } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { publicKeyFromJwk, type PublicJwk } from '../clients/key-clients.js';
import type { JtiRepo } from './jtis.repo.js';

/** Why an assertion was refused; `description` never contains the assertion itself. */
export class AssertionRejected extends Error {
  override name = 'AssertionRejected';
  constructor(readonly description: string) {
    super(description);
  }
}

/** A live key client as the verifier needs it. */
export interface AssertionIssuer {
  id: string;
  kind: 'secret' | 'key';
  publicJwk: PublicJwk | null;
}

export interface AssertionVerifierDeps<I extends AssertionIssuer = AssertionIssuer> {
  clock: Clock;
  jtis: Pick<JtiRepo, 'use'>;
  /** Live client by id (any fleet); undefined when unknown or deleted. */
  findIssuer(id: string): Promise<I | undefined>;
  /** Accepted `aud` values (RFC 7523 §3 item 3): the public URL, its /v1, the token endpoints. */
  audiences: readonly string[];
  /** `iat` must be within ± this many seconds of now. */
  maxSkewSeconds: number;
}

/** RFC 7523 §3 leaves the lifetime to the server; docs/design.md §2.3 allows at most 5 minutes. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
const MAX_ASSERTION_LENGTH = 8192;
/** Bounds on claims an attacker controls, checked before anything else reads them. */
const MAX_CLAIM_LENGTH = 2048;
const MAX_AUDIENCES = 8;
const isShortString = (value: unknown) => typeof value === 'string' && value.length <= MAX_CLAIM_LENGTH;
const JWS_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function decodeJson(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new AssertionRejected(`the assertion ${what} is not base64url JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AssertionRejected(`the assertion ${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/** Checks the claims of RFC 7523 §3 (and HM's `ver`) against `nowSeconds`; returns iss, jti and iat. */
export function checkAssertionClaims(
  claims: Record<string, unknown>,
  rules: Pick<AssertionVerifierDeps, 'audiences' | 'maxSkewSeconds'>,
  nowSeconds: number,
): { iss: string; jti: string; iat: number } {
  const { iss, sub, aud, iat, exp, nbf, jti, ver } = claims;
  // Lengths first, before any other work on what the caller sent (an aud of 6 000 '/' once made a
  // trailing-slash regex quadratic before the signature was even checked).
  if (Array.isArray(aud) ? aud.length > MAX_AUDIENCES || aud.some((a) => !isShortString(a)) : !isShortString(aud)) {
    throw new AssertionRejected(`aud must be a string or at most ${MAX_AUDIENCES} strings of at most ${MAX_CLAIM_LENGTH} characters`);
  }
  if (sub !== undefined && !isShortString(sub)) throw new AssertionRejected(`sub must be at most ${MAX_CLAIM_LENGTH} characters`);
  // §3 item 1: iss names the key client.
  if (typeof iss !== 'string' || iss.length === 0 || iss.length > 64) throw new AssertionRejected('iss is required: the key client id');
  // §3 item 2: sub, when present, is the same client (a service account acts for itself).
  if (sub !== undefined && sub !== iss) throw new AssertionRejected('sub must equal iss');
  // §3 item 3: aud must identify this server.
  // Compared exactly (RFC 7523 §3 item 3 leaves the comparison to the server; RFC 7519 §4.1.3: StringOrURI values).
  const auds: unknown[] = Array.isArray(aud) ? aud : [aud];
  if (!auds.some((a) => typeof a === 'string' && rules.audiences.includes(a))) {
    throw new AssertionRejected(`aud must be one of: ${rules.audiences.join(', ')}`);
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw new AssertionRejected('iat is required (seconds since the epoch)');
  if (Math.abs(nowSeconds - iat) > rules.maxSkewSeconds) {
    throw new AssertionRejected(`iat must be within ${rules.maxSkewSeconds} s of the server time`);
  }
  // §3 item 4: exp, when present, in the future, and the assertion short-lived.
  if (exp !== undefined) {
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw new AssertionRejected('exp must be a number');
    if (exp <= nowSeconds) throw new AssertionRejected('the assertion has expired');
    if (exp > iat + MAX_ASSERTION_LIFETIME_SECONDS)
      throw new AssertionRejected(`exp must be at most ${MAX_ASSERTION_LIFETIME_SECONDS} s after iat`);
  }
  // §3 item 5: not before.
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf > nowSeconds + rules.maxSkewSeconds)) {
    throw new AssertionRejected('the assertion is not yet valid (nbf)');
  }
  // §3 item 7: jti, here required so each assertion can be used once.
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
    throw new AssertionRejected('jti is required (a unique id, at most 256 characters)');
  // High Mobility's service-account assertions carry ver 1 or 2.
  if (ver !== undefined && ![1, 2, '1', '2'].includes(ver as never)) throw new AssertionRejected('ver must be 1 or 2');
  return { iss, jti, iat };
}

/**
 * Verifies a key client's signed JWT assertion (RFC 7523 §3, docs/design.md §2.3): ES256 only,
 * signed by the client's registered key, fresh, and used once. Resolves to the client.
 */
export function createAssertionVerifier<I extends AssertionIssuer>(deps: AssertionVerifierDeps<I>) {
  const { clock, jtis, findIssuer } = deps;

  return async function verifyAssertion(assertion: string): Promise<I> {
    if (assertion.length > MAX_ASSERTION_LENGTH || !JWS_COMPACT.test(assertion)) {
      throw new AssertionRejected('the assertion is not a compact JWS (header.payload.signature)');
    }
    const [headerPart, payloadPart, signaturePart] = assertion.split('.') as [string, string, string];
    const header = decodeJson(headerPart, 'header');
    // RFC 7515 §4.1.1 / RFC 8725 §3.1: the algorithm is ours to choose, never the token's.
    if (header.alg !== 'ES256') throw new AssertionRejected('alg must be ES256');
    if (header.crit !== undefined) throw new AssertionRejected('crit header parameters are not supported');
    const claims = decodeJson(payloadPart, 'payload');
    const now = clock.now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    const { iss, jti, iat } = checkAssertionClaims(claims, deps, nowSeconds);

    const issuer = await findIssuer(iss);
    if (issuer === undefined) throw new AssertionRejected('iss is not a known key client');
    if (issuer.kind !== 'key' || issuer.publicJwk === null)
      throw new AssertionRejected('iss is a secret client: authenticate it with its secret');

    // ES256 signatures are the 64-byte R||S of RFC 7518 §3.4, not DER.
    const signature = Buffer.from(signaturePart, 'base64url');
    const valid =
      signature.length === 64 &&
      verifySignature(
        'sha256',
        Buffer.from(`${headerPart}.${payloadPart}`),
        { key: publicKeyFromJwk(issuer.publicJwk), dsaEncoding: 'ieee-p1363' },
        signature,
      );
    if (!valid) throw new AssertionRejected('the assertion signature does not verify with the key client\u2019s registered key');

    // Remember the jti until the assertion could no longer pass the iat check.
    const expiresAt = new Date((iat + deps.maxSkewSeconds + 1) * 1000);
    if (!(await jtis.use(issuer.id, jti, expiresAt, now))) throw new AssertionRejected('the assertion was already used (jti replay)');
    return issuer;
  };
}

export type VerifyAssertion<I extends AssertionIssuer = AssertionIssuer> = (assertion: string) => Promise<I>;
