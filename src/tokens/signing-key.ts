import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { createSigner, createVerifier } from 'fast-jwt';
import type { VaultKey } from '../crypto/vault-keys.js';

/** The vault's access-token signing key: ES256 (P-256), its kid the vault key's id. */
export interface SigningKey {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  publicJwk: Record<string, unknown>;
}

export function generateSigningKey(kid: string): { material: Buffer; publicJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    material: Buffer.from(privateKey.export({ format: 'pem', type: 'pkcs8' })),
    publicJwk: { ...jwk, kid, alg: 'ES256', use: 'sig' },
  };
}

export function signingKeyFrom(vaultKey: VaultKey): SigningKey {
  const privateKeyPem = vaultKey.material.toString('utf8');
  const publicKeyPem = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'pem', type: 'spki' }).toString();
  return { kid: vaultKey.id, privateKeyPem, publicKeyPem, publicJwk: vaultKey.publicJwk ?? {} };
}

/** Signs access-token claims with the vault's key (ES256, RFC 7518 §3.4); the claims carry their own iat and exp. */
export function accessTokenSigner(key: SigningKey): (claims: Record<string, unknown>) => string {
  return createSigner({ key: key.privateKeyPem, algorithm: 'ES256', kid: key.kid });
}

/**
 * Verifies an access token: ES256 by our key, issued by and for `issuer`, with every claim the
 * routes rely on. No cache here: `createSigningKeys` keeps the verified tokens (signing-keys.ts).
 * Throws fast-jwt's TokenError (code `FAST_JWT_EXPIRED` for an expired token).
 */
export function accessTokenVerifier(key: SigningKey, issuer: string): (token: string) => Record<string, unknown> {
  return createVerifier({
    key: key.publicKeyPem,
    algorithms: ['ES256'],
    allowedIss: issuer,
    allowedAud: issuer,
    requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
    cache: false,
  });
}
