import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, randomKey, seal, sodiumReady } from './aead.js';
import { dataKeyAad, vaultKeyAad } from './associated-data.js';
import { fileMasterKey } from './master-key-provider.js';

beforeAll(() => sodiumReady());

describe('the file master-key provider', () => {
  const key = { id: 'k1', key: randomBytes(32) };
  const wrapper = fileMasterKey(key);

  it("opens what today's keyring wrote (version-1 associated data) and writes the same", () => {
    const dek = randomKey();
    const before = seal(dek, key.key, dataKeyAad('fleet-a'));
    expect(wrapper.unwrap(before, { kind: 'data-key', fleetId: 'fleet-a', dataKeyId: 'any' })).toEqual(dek);
    const vault = seal(dek, key.key, vaultKeyAad('v1', 'audit-hmac'));
    expect(wrapper.unwrap(vault, { kind: 'vault-key', keyId: 'v1', purpose: 'audit-hmac' })).toEqual(dek);
    expect(wrapper.id).toBe('k1');
    expect(wrapper.provider).toBe('file');
  });

  it('refuses a wrapping moved to another fleet or purpose', () => {
    const wrapped = wrapper.wrap(randomKey(), { kind: 'data-key', fleetId: 'fleet-a', dataKeyId: 'd1' });
    expect(() => wrapper.unwrap(wrapped, { kind: 'data-key', fleetId: 'fleet-b', dataKeyId: 'd1' })).toThrow(IntegrityError);
    const sealed = wrapper.wrap(randomKey(), { kind: 'vault-key', keyId: 'v1', purpose: 'audit-hmac' });
    expect(() => wrapper.unwrap(sealed, { kind: 'vault-key', keyId: 'v1', purpose: 'client-secret-hash' })).toThrow(IntegrityError);
  });
});
