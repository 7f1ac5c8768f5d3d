import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MasterKeyMismatchError } from '../../src/crypto/keyring.js';
import { buildTestApp, newMasterKey, niuExample, type TestApp } from '../helpers/test-app.js';

/** Apps still open at the end of a test: closed (and their data dropped) afterwards. */
const open: TestApp[] = [];
afterEach(async () => {
  for (const t of open.splice(0).reverse()) await t.close();
});

async function seeded() {
  const t = await buildTestApp({ masterKeys: [newMasterKey('k1')] });
  const fleet = await t.newFleet();
  const created = await t.call(fleet.token, 'POST', '/niu/credentials', niuExample);
  expect(created.statusCode).toBe(201);
  await t.close({ keepData: true });
  return { t, fleet, credentialId: created.json().id as string };
}

/** Restarting must fail; returns the error (the data stays for the next restart). */
async function expectRefusedRestart(t: TestApp, masterKeys: ReturnType<typeof newMasterKey>[]): Promise<Error> {
  try {
    const restarted = await buildTestApp({ reuse: t, masterKeys });
    open.push(restarted);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the restart to be refused');
}

describe('master keys across restarts', () => {
  it('with the same key, everything reads back and rotates', async () => {
    const { t, fleet, credentialId } = await seeded();
    const restarted = await buildTestApp({ reuse: t, masterKeys: t.masterKeys });
    open.push(restarted);
    // Tokens signed before the restart still verify: the signing key is stored in the database.
    const get = await restarted.call(fleet.token, 'GET', `/niu/credentials/${credentialId}`);
    expect(get.statusCode, get.body).toBe(200);
    expect(get.json()).toMatchObject({ name: 'NIU fleet Berlin', client_id: 'client1', secret_version: 1 });
    const rotated = await restarted.call(fleet.token, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: 'after-restart' });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret_version).toBe(2);
    // The admin client's secret still authenticates (the hash key is stored sealed too).
    const token = await restarted.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: fleet.clientSecret },
    });
    expect(token.statusCode).toBe(200);
  });

  it('with other bytes under the same key id, the start is refused saying the key does not open the data', async () => {
    const { t } = await seeded();
    const error = await expectRefusedRestart(t, [{ id: 'k1', key: randomBytes(32) }]);
    expect(error).toBeInstanceOf(MasterKeyMismatchError);
    expect(error.message).toMatch(/master key "k1" does not open the data key/);
    expect(error.message).toMatch(/wrong master key/);
    // The refusal changed nothing: the right key still opens everything.
    const again = await buildTestApp({ reuse: t, masterKeys: t.masterKeys });
    open.push(again);
  });

  it('with an unknown key id, the message names the missing id', async () => {
    const { t } = await seeded();
    const error = await expectRefusedRestart(t, [newMasterKey('k9')]);
    expect(error).toBeInstanceOf(MasterKeyMismatchError);
    expect(error.message).toContain('"k1"');
    expect(error.message).toMatch(/not configured/);
    open.push(await buildTestApp({ reuse: t, masterKeys: t.masterKeys }));
  });

  it('with a new active key first and the old one second, it starts and new fleets use the new key', async () => {
    const { t, fleet, credentialId } = await seeded();
    const k2 = newMasterKey('k2');
    const restarted = await buildTestApp({ reuse: t, masterKeys: [k2, ...t.masterKeys] });
    open.push(restarted);
    const rotated = await restarted.call(fleet.token, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: 'rotated-under-k2' });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const newFleet = await restarted.newFleet();
    const rows = await restarted.deps.database.db.selectFrom('fleet_data_keys').select(['fleet_id', 'kek_id']).execute();
    const kekOf = new Map(rows.map((r) => [r.fleet_id, r.kek_id]));
    expect(kekOf.get(fleet.fleetId)).toBe('k1');
    expect(kekOf.get(newFleet.fleetId)).toBe('k2');
  });

  it('refuses to drop the old key while data keys still need it', async () => {
    const { t } = await seeded();
    const error = await expectRefusedRestart(t, [newMasterKey('k2')]);
    expect(error.message).toContain('"k1"');
    open.push(await buildTestApp({ reuse: t, masterKeys: t.masterKeys }));
  });
});
