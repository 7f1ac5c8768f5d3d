import { randomBytes } from 'node:crypto';
import sodium from 'libsodium-wrappers';

import { IntegrityError } from '../core/integrity-error.js';

export { IntegrityError };

const NONCE_BYTES = 24; // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
export const KEY_BYTES = 32;

let ready: Promise<void> | undefined;

/** libsodium-wrappers loads its WebAssembly asynchronously; await this once before sealing. */
export function sodiumReady(): Promise<void> {
  ready ??= sodium.ready;
  return ready;
}

/**
 * libsodium-wrappers defines its functions only once its WebAssembly has loaded. Before that a call fails with a
 * TypeError, which `open` would otherwise report as a value that does not authenticate: a wrong-key message for what
 * is a start-up ordering bug (a CLI that verified a backup before the module loaded said "master key does not open").
 */
function requireLoaded(): void {
  if (typeof sodium.crypto_aead_xchacha20poly1305_ietf_decrypt !== 'function') {
    throw new Error('libsodium is not loaded yet: await sodiumReady() before sealing or opening');
  }
}

/**
 * XChaCha20-Poly1305 with associated data. Returns nonce || ciphertext.
 * The nonce comes from node:crypto: libsodium-wrappers' own RNG is ~25x slower here.
 * XChaCha's 192-bit nonce makes random nonces safe for any number of messages per key.
 */
export function seal(plaintext: Uint8Array, key: Uint8Array, associatedData: string): Buffer {
  if (key.length !== KEY_BYTES) throw new TypeError(`seal: key must be ${KEY_BYTES} bytes`);
  requireLoaded();
  const nonce = randomBytes(NONCE_BYTES);
  const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, associatedData, null, nonce, key);
  return Buffer.concat([nonce, ciphertext]);
}

export function open(sealed: Uint8Array, key: Uint8Array, associatedData: string): Uint8Array {
  if (key.length !== KEY_BYTES) throw new TypeError(`open: key must be ${KEY_BYTES} bytes`);
  if (sealed.length < NONCE_BYTES + 16) throw new IntegrityError('sealed value is truncated');
  requireLoaded();
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const ciphertext = sealed.subarray(NONCE_BYTES);
  try {
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, associatedData, nonce, key);
  } catch {
    throw new IntegrityError('sealed value failed authentication');
  }
}

export function randomKey(): Buffer {
  return randomBytes(KEY_BYTES);
}
