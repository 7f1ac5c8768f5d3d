import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
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

/**
 * Signs access-token claims with the vault's key (ES256, RFC 7518 §3.4) as a JWS Compact Serialization (RFC 7515
 * §3.1, §7.1); the claims carry their own iat and exp. The private key is parsed once here: fast-jwt's signer hands
 * node:crypto the PEM text, which parses it again on every token (~10x the signature itself; docs/performance.md).
 * The signature is computed on libuv's thread pool (node:crypto's `sign` with a callback): 35 µs of the event loop
 * per token becomes 7, so the token endpoint's one costly step no longer holds every other request back.
 */
export function accessTokenSigner(key: SigningKey): (claims: Record<string, unknown>) => Promise<string> {
  const privateKey = createPrivateKey(key.privateKeyPem);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: key.kid }), 'utf8').toString('base64url');
  return (claims) => {
    const signingInput = `${header}.${Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')}`;
    return new Promise((resolve, reject) =>
      // RFC 7518 §3.4: the signature is R || S, 32 octets each (IEEE P1363), not the DER that node:crypto gives by default.
      sign('sha256', Buffer.from(signingInput, 'utf8'), { key: privateKey, dsaEncoding: 'ieee-p1363' }, (error, signature) =>
        error === null ? resolve(`${signingInput}.${signature.toString('base64url')}`) : reject(error),
      ),
    );
  };
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
