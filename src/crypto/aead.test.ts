import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, open, randomKey, seal, sodiumReady } from './aead.js';

beforeAll(async () => {
  await sodiumReady();
});

const aad = 'fleetvault:test:fleet-1:cred-1:1';
const message = Buffer.from('supersecret and some more bytes', 'utf8');

describe('AEAD (XChaCha20-Poly1305)', () => {
  it('opens what it sealed, with the same key and associated data', () => {
    const key = randomKey();
    const sealed = seal(message, key, aad);
    expect(Buffer.from(open(sealed, key, aad)).toString('utf8')).toBe(message.toString('utf8'));
    expect(sealed.includes(message)).toBe(false);
  });

  it('refuses other associated data', () => {
    const key = randomKey();
    const sealed = seal(message, key, aad);
    expect(() => open(sealed, key, 'fleetvault:test:fleet-1:cred-2:1')).toThrow(IntegrityError);
    expect(() => open(sealed, key, 'fleetvault:test:fleet-1:cred-1:2')).toThrow(IntegrityError);
  });

  it('refuses another key', () => {
    const sealed = seal(message, randomKey(), aad);
    expect(() => open(sealed, randomKey(), aad)).toThrow(IntegrityError);
  });

  it('refuses any altered byte: nonce, ciphertext or tag', () => {
    const key = randomKey();
    const sealed = seal(message, key, aad);
    for (const index of [0, 23, 24, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = tampered[index]! ^ 0x01;
      expect(() => open(tampered, key, aad), `byte ${index}`).toThrow(IntegrityError);
    }
  });

  it('refuses a truncated value', () => {
    const key = randomKey();
    const sealed = seal(message, key, aad);
    expect(() => open(sealed.subarray(0, sealed.length - 1), key, aad)).toThrow(IntegrityError);
    expect(() => open(sealed.subarray(0, 30), key, aad)).toThrow(IntegrityError);
    expect(() => open(Buffer.alloc(0), key, aad)).toThrow(IntegrityError);
  });

  it('uses a fresh nonce for every seal', () => {
    const key = randomKey();
    const nonces = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const sealed = seal(message, key, aad);
      nonces.add(sealed.subarray(0, 24).toString('hex'));
      ciphertexts.add(sealed.subarray(24).toString('hex'));
    }
    expect(nonces.size).toBe(200);
    expect(ciphertexts.size).toBe(200);
  });

  it('rejects a key of the wrong length as a programming error', () => {
    expect(() => seal(message, Buffer.alloc(16), aad)).toThrow(TypeError);
    expect(() => open(seal(message, randomKey(), aad), Buffer.alloc(31), aad)).toThrow(TypeError);
  });

  it('seals an empty message', () => {
    const key = randomKey();
    expect(open(seal(new Uint8Array(0), key, aad), key, aad).length).toBe(0);
  });
});
