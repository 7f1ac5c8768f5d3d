import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkcs11MasterKey, openPkcs11Token } from '../../src/crypto/pkcs11-token.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { runTsScript } from '../helpers/run-process.js';
import { buildTestApp, niuExample } from '../helpers/test-app.js';
import { initTestToken, removeTestTokens, type TestToken } from '../helpers/softhsm.js';

/** The root key in a PKCS#11 token (docs/hsm.md), against a real SoftHSM2 token initialized for this run. */
let token: TestToken;
let other: TestToken;

beforeAll(() => {
  token = initTestToken();
  other = initTestToken();
  expect(createPkcs11MasterKey(token.settings(), 'root-1')).toEqual({ created: true });
  expect(createPkcs11MasterKey(other.settings(), 'root-1')).toEqual({ created: true });
});

afterAll(removeTestTokens);

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

  it('a data-key rotation wraps the new data key in the token; the secrets still open', async () => {
    const t = await buildTestApp({ masterKeys: [], env: token.env() });
    try {
      const { fleetId, token: bearer } = await t.newFleet();
      const id = (await t.call(bearer, 'POST', '/niu/credentials', niuExample)).json().id as string;
      const result = await t.deps.services.dataKeyRotation.rotateFleet(cliFleetlessContext, fleetId, () => undefined);
      expect(result.resealed).toBeGreaterThanOrEqual(1);
      const keys = await t.deps.database.db
        .selectFrom('fleet_data_keys')
        .select(['id', 'kek_id'])
        .where('fleet_id', '=', fleetId)
        .execute();
      expect(keys).toEqual([{ id: result.data_key_id, kek_id: 'pkcs11:root-1' }]);
      for (const dataKeyId of t.deps.keyring.cachedDataKeyIds()) t.deps.keyring.forgetDataKey(dataKeyId);
      expect((await t.call(bearer, 'GET', `/niu/credentials/${id}/secrets`)).json().secrets).toEqual({
        client_secret: niuExample.client_secret,
      });
    } finally {
      await t.close();
    }
  });

  it('fleetvault keys hsm-init creates the key once, then says it exists', async () => {
    const fresh = initTestToken();
    const env = { ...fresh.processEnv('made-by-cli'), NODE_ENV: 'test' };
    const first = await runTsScript('src/cli.ts', ['keys', 'hsm-init', '--json'], env);
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toEqual({ key_label: 'made-by-cli', kek_id: 'pkcs11:made-by-cli', created: true });
    const again = await runTsScript('src/cli.ts', ['keys', 'hsm-init'], env);
    expect(again.stdout).toBe('the token already holds a key labelled "made-by-cli"; nothing changed\n');
    const opened = openPkcs11Token(fresh.settings('made-by-cli'));
    try {
      expect(opened.attributes('made-by-cli')).toMatchObject({ sensitive: true, extractable: false, valueBytes: 32 });
    } finally {
      opened.close();
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

  it('a wrapping copied to another data key id of the same fleet does not open (the id is associated data)', async () => {
    const first = await buildTestApp({ masterKeys: [], env: token.env() });
    const { fleetId } = await first.newFleet();
    const db = first.deps.database.db;
    const row = await db.selectFrom('fleet_data_keys').selectAll().where('fleet_id', '=', fleetId).executeTakeFirstOrThrow();
    await db
      .insertInto('fleet_data_keys')
      .values({ ...row, id: `${row.id.slice(0, -1)}${row.id.endsWith('0') ? '1' : '0'}`, created_at: '2000-01-01T00:00:00.000Z' })
      .execute();
    await first.close({ keepData: true });
    await expect(buildTestApp({ reuse: first, masterKeys: [], env: token.env() })).rejects.toThrow(
      `master key "pkcs11:root-1" does not open the data key of fleet ${fleetId}`,
    );
    await first.storage.drop();
  });
});
