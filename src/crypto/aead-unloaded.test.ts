import { describe, expect, it } from 'vitest';
import { IntegrityError, open, randomKey, seal, sodiumReady } from './aead.js';

/**
 * This file never awaits libsodium before its first call, as a CLI command that forgot to would: the call must fail
 * as the ordering bug it is, not as a value that does not authenticate (which reads as "wrong master key").
 */
describe('AEAD before libsodium has loaded', () => {
  it('refuses to open with an error that names the cause, not an IntegrityError', async () => {
    const attempt = () => open(Buffer.alloc(64), randomKey(), 'aad');
    expect(attempt).toThrow(/libsodium is not loaded yet/);
    expect(attempt).not.toThrow(IntegrityError);
    expect(() => seal(Buffer.from('x'), randomKey(), 'aad')).toThrow(/libsodium is not loaded yet/);

    await sodiumReady();
    const key = randomKey();
    expect(Buffer.from(open(seal(Buffer.from('x'), key, 'aad'), key, 'aad')).toString()).toBe('x');
  });
});
