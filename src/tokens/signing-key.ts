import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
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
