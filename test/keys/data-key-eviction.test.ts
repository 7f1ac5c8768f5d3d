import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * A running replica drops a data key from memory within the re-check interval once the CLI (here
 * a second process's deps on the same database, the code path `fleetvault keys rotate-data-key`
 * and `fleet delete --purge` run) destroys it: it cannot open what a restored backup of the old
 * rows would hold, and a keyring inspection no longer lists it.
 */
const RECHECK_MS = 50;
let server: TestApp;
let cli: TestApp;

beforeAll(async () => {
  server = await buildTestApp({ dataKeyRecheckMs: RECHECK_MS, env: { FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: '1000' } });
  cli = await buildTestApp({ reuse: server, masterKeys: server.masterKeys });
});

afterAll(async () => {
  await cli?.close({ keepData: true });
  await server?.close();
});

/** Waits until `done()` holds, for at most 40 re-check intervals. */
async function within(done: () => boolean): Promise<boolean> {
  for (let waited = 0; waited < 40 * RECHECK_MS; waited += RECHECK_MS / 2) {
    if (done()) return true;
    await new Promise((resolve) => setTimeout(resolve, RECHECK_MS / 2));
  }
  return done();
}

async function fleetWithSecret() {
  const fleet = await server.newFleet();
  const id = (await server.call(fleet.token, 'POST', '/niu/credentials', niuExample)).json().id as string;
  expect((await server.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets`)).statusCode).toBe(200);
  const [key] = await server.deps.store.repos.dataKeys.ofFleet(fleet.fleetId);
  expect(server.deps.keyring.cachedDataKeyIds()).toContain(key!.id);
  return { ...fleet, id, keyId: key!.id };
}

describe('destroyed data keys leave a running replica', () => {
  it('after a data-key rotation by the CLI: the old key is evicted, secrets still open under the new one', async () => {
    const fleet = await fleetWithSecret();
    // The sealed row as a backup taken before the rotation holds it.
    const before = await server.deps.database.db
      .selectFrom('credentials')
      .select(['sealed_secrets', 'data_key_id', 'secret_version'])
      .where('id', '=', fleet.id)
      .executeTakeFirstOrThrow();
    await cli.deps.services.dataKeyRotation.rotateFleet(cliFleetlessContext, fleet.fleetId, () => {});
    expect(await server.deps.store.repos.dataKeys.find(fleet.fleetId, fleet.keyId)).toBeUndefined();
    expect(await within(() => !server.deps.keyring.cachedDataKeyIds().includes(fleet.keyId))).toBe(true);
    const res = await server.call(fleet.token, 'GET', `/niu/credentials/${fleet.id}/secrets`);
    expect(res.json().secrets).toEqual({ client_secret: niuExample.client_secret });
    const restored = server.deps.keyring.openSecrets(
      fleet.fleetId,
      fleet.id,
      before.secret_version,
      Buffer.from(before.sealed_secrets),
      before.data_key_id,
    );
    await expect(restored).rejects.toThrow(`data key ${fleet.keyId} of fleet ${fleet.fleetId} does not exist`);
  });

  it('after a fleet purge by the CLI: the key is evicted and nothing of the fleet can be revealed', async () => {
    const fleet = await fleetWithSecret();
    await cli.deps.services.fleets.delete(cliFleetlessContext, fleet.fleetId, { purge: true });
    expect(await within(() => !server.deps.keyring.cachedDataKeyIds().includes(fleet.keyId))).toBe(true);
    expectProblem(await server.call(fleet.token, 'GET', `/niu/credentials/${fleet.id}/secrets`), 'not-found', 404);
  });
});
