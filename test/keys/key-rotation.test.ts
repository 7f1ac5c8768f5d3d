import { describe, expect, it } from 'vitest';
import { buildTestApp, newMasterKey, niuExample } from '../helpers/test-app.js';

describe('master key rotation (keys rotate)', () => {
  it('re-wraps every data key online, after which the old master key can be dropped', async () => {
    const oldKey = newMasterKey('old');
    const newKey = newMasterKey('new');
    const first = await buildTestApp({ masterKeys: [oldKey] });
    const { token } = await first.newFleet();
    const created = await first.call(token, 'POST', '/niu/credentials', niuExample);
    const path = created.headers.location as string;

    // A second instance with the new key first rotates while the first keeps serving.
    const rotator = await buildTestApp({ reuse: first, masterKeys: [newKey, oldKey] });
    const done = await rotator.deps.keyring.rewrapToActive();
    expect(done.dataKeys).toBeGreaterThanOrEqual(1);
    expect(done.vaultKeys).toBe(3); // token signing, client-secret hashing, audit HMAC
    expect(await rotator.deps.keyring.rewrapToActive()).toEqual({ dataKeys: 0, vaultKeys: 0 });
    expect((await first.call(token, 'GET', path)).statusCode).toBe(200);
    expect((await first.call(token, 'PATCH', path, { client_secret: 'during-rotation' })).statusCode).toBe(200);
    await rotator.close({ keepData: true });
    await first.close({ keepData: true });

    // Only the new key from now on: everything opens, secrets still rotate (old ones decrypt).
    const onlyNew = await buildTestApp({ reuse: first, masterKeys: [newKey] });
    const newToken = (await onlyNew.newFleet()).token;
    expect((await onlyNew.call(newToken, 'GET', path)).statusCode).toBe(404); // another fleet's id
    const fleetId = (await onlyNew.deps.database.db.selectFrom('fleets').select('id').orderBy('id').executeTakeFirstOrThrow()).id;
    const ownerToken = await onlyNew.tokenFor(fleetId);
    const read = await onlyNew.call(ownerToken, 'GET', path);
    expect(read.json().secret_version).toBe(2);
    const rotated = await onlyNew.call(ownerToken, 'PATCH', path, { client_secret: 'after-rotation' });
    expect(rotated.json().secret_version).toBe(3);
    await onlyNew.close({ keepData: true });

    // The old key alone no longer opens anything.
    await expect(buildTestApp({ reuse: first, masterKeys: [oldKey] })).rejects.toThrow(/master key "new".*not configured/);
    await first.storage.drop();
  });
});
