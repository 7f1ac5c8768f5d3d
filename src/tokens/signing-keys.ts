import { MAX_TOKEN_TTL_SECONDS } from '../config.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { Keyring } from '../crypto/keyring.js';
import type { VaultKeyRepo, VaultKeyRow } from '../crypto/vault-keys.repo.js';
import { accessTokenSigner, accessTokenVerifier, generateSigningKey, type SigningKey, signingKeyFrom } from './signing-key.js';

/**
 * How often a replica re-reads the signing keys. A new key is published at once and signs from
 * one interval after its creation, so every replica has it in its JWKS and verifiers before any
 * replica signs with it, and every replica signs with it within two intervals (docs/design.md §3: 30 s).
 */
export const SIGNING_KEY_REFRESH_SECONDS = 10;

/**
 * When the key that signed until `rotatedAt` may leave the JWKS: the last token any server signed
 * with it (a stale replica's) has expired. It waits the longest lifetime a server may be configured
 * with, not the rotating process's own setting: `keys rotate-signing` may run with another
 * FLEETVAULT_TOKEN_TTL_SECONDS than the servers that signed (docs/security.md).
 */
export function retirementOf(rotatedAt: Date): Date {
  return new Date(rotatedAt.getTime() + (2 * SIGNING_KEY_REFRESH_SECONDS + MAX_TOKEN_TTL_SECONDS) * 1000);
}

/** Verified tokens remembered at most (about 1 KiB each); all are forgotten when full, as the client liveness cache does. */
const MAX_VERIFIED_TOKENS = 10_000;

interface LoadedKey {
  key: SigningKey;
  signsFrom: number;
  verify: (token: string) => Record<string, unknown>;
}

/** The kid of a compact JWS, read from its protected header (RFC 7515 §4.1.4) before any verification. */
function kidOf(token: string): string | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  try {
    const header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as { kid?: unknown };
    return typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The vault's token-signing keys as one replica sees them: the key it signs with, the keys it
 * verifies and publishes (every unretired one). Re-read from the database when `refresh` runs
 * (the server's timer) and, at most once per interval on the injected clock, when a token is signed.
 */
export function createSigningKeys(deps: { vaultKeys: VaultKeyRepo; keyring: Keyring; clock: Clock; issuer: string }) {
  const { vaultKeys, keyring, clock, issuer } = deps;
  let loaded = new Map<string, LoadedKey>();
  const verified = new Map<string, { claims: Readonly<Record<string, unknown>>; expiresAtMs: number }>();
  let signer: { key: SigningKey; sign: (claims: Record<string, unknown>) => Promise<string> } | undefined;
  let refreshedAt = -Infinity;
  let refreshing: Promise<void> | undefined;

  function load(row: VaultKeyRow): LoadedKey {
    const known = loaded.get(row.id);
    if (known !== undefined) return known;
    const key = signingKeyFrom({
      id: row.id,
      material: keyring.openVaultKey(row),
      publicJwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as Record<string, unknown>),
    });
    const signsFrom = Date.parse(row.created_at) + SIGNING_KEY_REFRESH_SECONDS * 1000;
    return { key, signsFrom, verify: accessTokenVerifier(key, issuer) };
  }

  async function refresh(): Promise<void> {
    const now = clock.now();
    const rows = await vaultKeys.signingKeys(now.toISOString());
    if (rows.length === 0) throw new Error('no token-signing key in the database');
    const next = new Map(rows.map((row) => [row.id, load(row)]));
    // Rows come newest first: sign with the newest key whose publication delay has passed (or the only one).
    const keys = [...next.values()];
    const chosen = keys.find((k) => k.signsFrom <= now.getTime()) ?? keys[keys.length - 1]!;
    // A key that left (retired) must stop verifying at once: the tokens it verified are forgotten.
    if ([...loaded.keys()].some((kid) => !next.has(kid))) verified.clear();
    loaded = next;
    if (signer?.key.kid !== chosen.key.kid) signer = { key: chosen.key, sign: accessTokenSigner(chosen.key) };
    refreshedAt = now.getTime();
  }

  return {
    refresh,

    /** Starts a refresh when the last one is an interval old (on the injected clock); never waits for it. */
    refreshIfDue(onError: (error: unknown) => void): void {
      if (refreshing !== undefined || clock.now().getTime() - refreshedAt < SIGNING_KEY_REFRESH_SECONDS * 1000) return;
      refreshing = refresh()
        .catch(onError)
        .finally(() => (refreshing = undefined));
    },

    /** The key new tokens are signed with. */
    current(): SigningKey {
      if (signer === undefined) throw new Error('signing keys not loaded');
      return signer.key;
    },

    async sign(claims: Record<string, unknown>): Promise<string> {
      if (signer === undefined) throw new Error('signing keys not loaded');
      return signer.sign(claims);
    },

    /**
     * Verifies with the key its header names; an unknown or retired kid does not verify. A token that verified
     * is remembered by its own text until its `exp` (ES256 verification costs ~4x a hit): a Map lookup compares
     * the whole string, so only that very token hits, with no per-request hash of it (fast-jwt's own cache keys
     * by a SHA-256 of the token; docs/performance.md). A refresh that drops a key forgets them all.
     */
    verify(token: string): Record<string, unknown> {
      const hit = verified.get(token);
      // fast-jwt's clock (Date.now), so a hit expires exactly when a fresh verification would refuse the token.
      if (hit !== undefined && Date.now() <= hit.expiresAtMs) return hit.claims;
      const kid = kidOf(token);
      const key = kid === undefined ? undefined : loaded.get(kid);
      if (key === undefined) throw Object.assign(new Error('unknown signing key'), { code: 'FLEETVAULT_UNKNOWN_KID' });
      const claims = Object.freeze(key.verify(token));
      if (verified.size >= MAX_VERIFIED_TOKENS) verified.clear();
      // `exp` is a required claim (signing-key.ts), a NumericDate in seconds (RFC 7519 §4.1.4).
      verified.set(token, { claims, expiresAtMs: Number(claims.exp) * 1000 });
      return claims;
    },

    /** The public keys (RFC 7517 §5), newest first: what `/.well-known/jwks.json` serves. */
    jwks(): { keys: Record<string, unknown>[] } {
      return { keys: [...loaded.values()].map((k) => k.key.publicJwk) };
    },
  };
}

export type SigningKeys = ReturnType<typeof createSigningKeys>;

/**
 * `fleetvault keys rotate-signing` (docs/design.md §3): adds a new ES256 key and schedules every older
 * unretired one to leave the JWKS once its last token has expired. Returns the new kid and the
 * retirement time; the caller writes the audit event in the same transaction (`repos` bound to it).
 */
export async function rotateSigningKey(
  repos: { vaultKeys: VaultKeyRepo },
  deps: { keyring: Keyring; clock: Clock; ids: IdGenerator },
): Promise<{ kid: string; retired: string[]; retiresAt: string }> {
  const { keyring, clock, ids } = deps;
  const now = clock.now();
  const kid = ids.next();
  const { material, publicJwk } = generateSigningKey(kid);
  const retiresAt = retirementOf(now).toISOString();
  const retired = await repos.vaultKeys.retireLive('token-signing', retiresAt);
  await repos.vaultKeys.insert({
    id: kid,
    purpose: 'token-signing',
    ...keyring.sealVaultKey(kid, 'token-signing', material),
    public_jwk: JSON.stringify(publicJwk),
    created_at: now.toISOString(),
    retired_at: null,
  });
  return { kid, retired, retiresAt };
}
