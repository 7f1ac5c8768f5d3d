import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new client secret: 256 random bits, base64url (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Keyed hash of a client secret. The secret is 256 random bits, so a fast keyed hash (HMAC)
 * is enough: there is nothing to brute-force that a slow password hash would protect.
 */
export function hashClientSecret(hashKey: Buffer, secret: string): Buffer {
  return createHmac('sha256', hashKey).update(secret, 'utf8').digest();
}

export function clientSecretMatches(hashKey: Buffer, presented: string, storedHash: Buffer): boolean {
  const presentedHash = hashClientSecret(hashKey, presented);
  return presentedHash.length === storedHash.length && timingSafeEqual(presentedHash, storedHash);
}

/**
 * A short public label of a secret hash, carried by access tokens as `sst` so that a token
 * issued before a rotation stops matching the client. It is a digest of an
 * HMAC keyed by a vault key, so it says nothing that would help guess the secret.
 */
export function secretStamp(storedHash: Buffer): string {
  return createHash('sha256').update('fleetvault:secret-stamp:v1\n').update(storedHash).digest('base64url').slice(0, 16);
}
