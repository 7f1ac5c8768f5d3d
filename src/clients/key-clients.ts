import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { AppError, validationFailed } from '../core/app-error.js';

/** A key client's public key as stored and shown: an EC P-256 JWK (RFC 7517 §4, RFC 7518 §6.2.1). */
export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
}

const invalidKey = (pointer: string, detail: string) => validationFailed([{ pointer, detail }]);

function toP256Jwk(key: KeyObject, pointer: string): PublicJwk {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalidKey(pointer, 'must be an EC P-256 public key (ES256)');
  }
  const jwk = key.export({ format: 'jwk' });
  return { kty: 'EC', crv: 'P-256', x: String(jwk.x), y: String(jwk.y) };
}

/**
 * The caller's public key, given as a PEM (SPKI) string or a JWK object, as the stored JWK.
 * Only P-256 keys are accepted: assertions are ES256 only (docs/design.md §2.3). A private key is
 * refused rather than silently reduced to its public half: it should never have been sent.
 */
export function parsePublicKey(input: unknown, pointer = '/public_key'): PublicJwk {
  let key: KeyObject;
  try {
    if (typeof input === 'string') {
      if (/PRIVATE KEY/.test(input)) throw invalidKey(pointer, 'is a private key: send only the public key');
      key = createPublicKey({ key: input, format: 'pem' });
    } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
      const jwk = input as Record<string, unknown>;
      if ('d' in jwk) throw invalidKey(pointer, 'is a private key: send only the public key');
      if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw invalidKey(pointer, 'must be an EC P-256 public key (ES256)');
      key = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } as never, format: 'jwk' });
    } else {
      throw invalidKey(pointer, 'must be a PEM public key or a JWK object');
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    throw invalidKey(pointer, 'is not a readable public key (PEM SPKI or JWK)');
  }
  return toP256Jwk(key, pointer);
}

/** The KeyObject that verifies a key client's assertions. */
export function publicKeyFromJwk(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { ...jwk }, format: 'jwk' });
}

/** A new P-256 key pair; the private key leaves the vault once, as PKCS#8 PEM, and is never stored. */
export function generateKeyClientPair(): { publicJwk: PublicJwk; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    publicJwk: toP256Jwk(publicKey, '/public_key'),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}
