import { beforeAll, describe, expect, it } from 'vitest';
import { createPkcs11MasterKey, openPkcs11Token } from '../../src/crypto/pkcs11-token.js';
import { buildTestApp, niuExample } from '../helpers/test-app.js';
import { initTestToken, type TestToken } from '../helpers/softhsm.js';

/** The root key in a PKCS#11 token (docs/hsm.md), against a real SoftHSM2 token initialized for this run. */
let token: TestToken;
let other: TestToken;

beforeAll(() => {
  token = initTestToken();
  other = initTestToken();
  expect(createPkcs11MasterKey(token.settings(), 'root-1')).toEqual({ created: true });
  expect(createPkcs11MasterKey(other.settings(), 'root-1')).toEqual({ created: true });
});

describe('the master key in a PKCS#11 token', () => {
  it('hsm-init creates an AES-256 token key, sensitive and not extractable, once', () => {
    expect(createPkcs11MasterKey(token.settings(), 'root-1')).toEqual({ created: false });
    const opened = openPkcs11Token(token.settings());
    try {
      expect(opened.attributes('root-1')).toEqual({ sensitive: true, extractable: false, token: true, aes: true, valueBytes: 32 });
    } finally {
      opened.close();
    }
  });

  it('stores, restarts and reveals with the key in the token; rows name it', async () => {
    const first = await buildTestApp({ masterKeys: [], env: token.env() });
    const { fleetId, token: bearer } = await first.newFleet();
    const created = await first.call(bearer, 'POST', '/niu/credentials', niuExample);
    expect(created.statusCode).toBe(201);
    const rows = await first.deps.database.db.selectFrom('fleet_data_keys').select(['kek_id', 'wrapped_key']).execute();
    expect(rows.every((row) => row.kek_id === 'pkcs11:root-1' && row.wrapped_key.length === 12 + 32 + 16)).toBe(true);
    const vaultKeys = await first.deps.database.db.selectFrom('vault_keys').select('kek_id').execute();
    expect(vaultKeys.map((row) => row.kek_id)).toEqual(['pkcs11:root-1', 'pkcs11:root-1', 'pkcs11:root-1']);
    await first.close({ keepData: true });

    const again = await buildTestApp({ reuse: first, masterKeys: [], env: token.env() });
    try {
      const owner = await again.tokenFor(fleetId);
      const revealed = await again.call(owner, 'GET', `/niu/credentials/${created.json().id as string}/secrets`);
      expect(revealed.statusCode, revealed.body).toBe(200);
      expect(revealed.json().secrets).toEqual({ client_secret: niuExample.client_secret });
      expect((await again.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('a database copied to a vault whose token holds another key of the same label opens nothing', async () => {
    const first = await buildTestApp({ masterKeys: [], env: token.env() });
    await first.newFleet();
    await first.close({ keepData: true });
    await expect(buildTestApp({ reuse: first, masterKeys: [], env: other.env() })).rejects.toThrow(
      /master key "pkcs11:root-1" does not open/,
    );
    await first.storage.drop();
  });
});
