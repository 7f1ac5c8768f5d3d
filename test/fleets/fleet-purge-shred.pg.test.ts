import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import type { MasterKey } from '../../src/crypto/master-keys.js';
import type { PurgeReport } from '../../src/fleets/fleet-purge.js';
import { AppError } from '../../src/core/app-error.js';
import { runTsScript } from '../helpers/run-process.js';
import { urlWithSchema } from '../helpers/server-process.js';
import {
  dataKeysIn,
  ensurePageinspect,
  heapPages,
  occurrences,
  type SealedValue,
  sealedValuesIn,
  tupleVersions,
  walSegments,
} from '../helpers/shred-scan.js';
import { buildTestApp, newMasterKey, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * `fleet delete --purge` on PostgreSQL (docs/operations.md, "Purging a fleet"): deleted rows survive in dead row
 * versions and the WAL, so the purge shreds cryptographically: it re-wraps every other key under a fresh master
 * key and names the old ones to destroy. The scan reads the heap pages (pageinspect) and the WAL for every copy
 * of the purged fleet's wrapped data key and ciphertexts, and tries to open them.
 */
const url = process.env.TEST_DATABASE_URL!;
const oldKey = newMasterKey('k-old');
const freshKey = newMasterKey('k-fresh');
const revealScopes = ['credentials:read', 'credentials:write', 'credentials:reveal'] as const;

let first: TestApp; // the vault before the purge: only the old master key
const opened: TestApp[] = [];

async function populatedFleet(t: TestApp, label: string, credentials: number) {
  const fleet = await t.newFleet([...revealScopes]);
  const ids: string[] = [];
  for (let i = 0; i < credentials; i++) {
    const res = await t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: `${label} ${i}`, client_id: `${label}-${i}` });
    expect(res.statusCode).toBe(201);
    ids.push(res.json().id as string);
    // A kept earlier version of each: credential_secret_versions is scanned too.
    expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${ids[i]}`, { client_secret: `${label}-rotated-${i}` })).statusCode).toBe(
      200,
    );
  }
  const { db } = t.deps.database;
  const current = await db
    .selectFrom('credentials')
    .select(['id', 'secret_version', 'sealed_secrets'])
    .where('fleet_id', '=', fleet.fleetId)
    .execute();
  const kept = await db
    .selectFrom('credential_secret_versions')
    .select(['credential_id', 'secret_version', 'sealed_secrets'])
    .where('fleet_id', '=', fleet.fleetId)
    .execute();
  const sealed: SealedValue[] = [
    ...current.map((r) => ({ credentialId: r.id, version: r.secret_version, sealed: Buffer.from(r.sealed_secrets) })),
    ...kept.map((r) => ({ credentialId: r.credential_id, version: r.secret_version, sealed: Buffer.from(r.sealed_secrets) })),
  ];
  expect(sealed).toHaveLength(2 * credentials);
  const [dataKey] = await t.deps.store.repos.dataKeys.ofFleet(fleet.fleetId);
  return { ...fleet, ids, sealed, wrappedKey: Buffer.from(dataKey!.wrapped_key) };
}

async function reuse(masterKeys: MasterKey[]): Promise<TestApp> {
  const app = await buildTestApp({ reuse: first, masterKeys });
  opened.push(app);
  return app;
}

/** The heap pages (pageinspect) of the key and credential tables and the newest WAL segments, as they are now. */
async function snapshot() {
  const schema = first.storage.pgSchema!;
  return {
    keyPages: await heapPages(url, schema, 'fleet_data_keys'),
    credentialPages: [...(await heapPages(url, schema, 'credentials')), ...(await heapPages(url, schema, 'credential_secret_versions'))],
    wal: await walSegments(url),
    rowVersions: await tupleVersions(url, schema, 'fleet_data_keys'),
  };
}

/** What the snapshot holds of the fleet, and what of it opens with the given master keys. */
function scan(files: Awaited<ReturnType<typeof snapshot>>, fleet: Awaited<ReturnType<typeof populatedFleet>>, masterKeys: MasterKey[]) {
  const inHeap = dataKeysIn(files.keyPages, fleet.fleetId, masterKeys);
  const walCopies = occurrences(files.wal, fleet.wrappedKey);
  const inWal = walCopies === 0 ? { opened: [] } : dataKeysIn([fleet.wrappedKey], fleet.fleetId, masterKeys);
  const dataKeys = [...inHeap.opened, ...inWal.opened];
  return {
    dataKeyRowVersions: files.rowVersions,
    heapWindows: inHeap.windows,
    heapDataKeysOpened: inHeap.opened.length,
    walDataKeyCopies: walCopies,
    walDataKeysOpened: inWal.opened.length,
    heapCiphertexts: sealedValuesIn(files.credentialPages, fleet.fleetId, fleet.sealed, dataKeys),
    walCiphertexts: sealedValuesIn(files.wal, fleet.fleetId, fleet.sealed, dataKeys),
  };
}

beforeAll(async () => {
  await ensurePageinspect(url);
  first = await buildTestApp({ masterKeys: [oldKey] });
});

afterAll(async () => {
  for (const app of opened) await app.close({ keepData: true });
  await first?.close();
});

describe('fleet delete --purge on PostgreSQL shreds cryptographically', { timeout: 120_000 }, () => {
  it('refuses, changing nothing, while the active master key wraps the fleet data key', async () => {
    const fleet = await populatedFleet(first, 'refused', 2);
    const refusal = await first.deps.services.fleetPurge.purge(cliFleetlessContext, fleet.fleetId).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(AppError);
    expect(refusal).toMatchObject({ code: 'conflicting-resource', extensions: { active_master_key: 'k-old' } });
    expect((refusal as AppError).detail).toMatch(/wrapped by the active master key "k-old".*fresh master key first/);
    expect(await first.deps.store.repos.dataKeys.ofFleet(fleet.fleetId)).toHaveLength(1);
    const reveal = await first.call(fleet.token, 'GET', `/niu/credentials/${fleet.ids[0]}/secrets`);
    expect(reveal.json().secrets).toEqual({ client_secret: 'refused-rotated-0' });
  });

  it('leaves no copy of the data key or ciphertexts that a key the vault keeps opens; other fleets and replicas carry on', async () => {
    const kept = await populatedFleet(first, 'kept', 3);
    const purged = await populatedFleet(first, 'purged', 10);
    const before = scan(await snapshot(), purged, [oldKey]);
    expect(before).toMatchObject({ heapDataKeysOpened: 1, heapCiphertexts: { found: 20, opened: 20 } });

    // The operator puts a fresh key first on every replica and on the command, keeping the old one after it.
    const replica = await reuse([freshKey, oldKey]);
    const result = await runTsScript('src/cli.ts', ['fleet', 'delete', purged.fleetId, '--purge', '--json'], {
      DATABASE_URL: urlWithSchema(url, first.storage.pgSchema!),
      FLEETVAULT_DATA_DIR: first.dataDir,
      FLEETVAULT_MASTER_KEYS: [freshKey, oldKey].map((key) => `${key.id}:${key.key.toString('base64')}`).join(','),
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as PurgeReport;
    expect(report).toMatchObject({
      id: purged.fleetId,
      purged: true,
      shred: 'cryptographic',
      active_master_key: 'k-fresh',
      master_key_rotated_from: ['k-old'],
      retire_master_keys: ['k-old'],
      rewrapped_vault_keys: 3,
    });
    expect(report.rewrapped_data_keys).toBeGreaterThanOrEqual(2); // the kept and the refused fleet, at least
    expect(report).not.toHaveProperty('wal_checkpointed');
    expect(report.notice).toMatch(/dead row versions.*WAL.*base backups.*"k-old"/);

    // Every key the vault keeps once "k-old" is destroyed opens nothing of the purged fleet ...
    const held = [freshKey, oldKey].filter((key) => !report.retire_master_keys.includes(key.id));
    expect(held.map((key) => key.id)).toEqual(['k-fresh']);
    const files = await snapshot();
    const after = scan(files, purged, held);
    expect(after).toMatchObject({
      heapDataKeysOpened: 0,
      walDataKeysOpened: 0,
      heapCiphertexts: { opened: 0 },
      walCiphertexts: { opened: 0 },
    });
    // ... while copies are still there: the destroyed key would open them (what the purge left before this fix).
    const withRetired = scan(files, purged, [oldKey]);
    expect(withRetired.walDataKeyCopies).toBeGreaterThanOrEqual(1);
    expect(withRetired.walDataKeysOpened).toBe(1);
    expect(withRetired.walCiphertexts.opened).toBe(withRetired.walCiphertexts.found);
    expect(withRetired.walCiphertexts.found).toBeGreaterThan(0);
    process.stderr.write(
      `purge heap/WAL scan: before ${JSON.stringify(before)}\n  after, keys kept ${JSON.stringify(after)}\n` +
        `  after, with the retired key ${JSON.stringify(withRetired)}\n`,
    );

    // The replicas that were running (with and without the fresh key) keep serving the other fleet: reveal, rotate a
    // secret, issue a token.
    for (const app of [replica, first]) {
      const token = await app.tokenFor(kept.fleetId, [...revealScopes]);
      const reveal = await app.call(token, 'GET', `/niu/credentials/${kept.ids[0]}/secrets`);
      expect(reveal.statusCode).toBe(200);
      expect(reveal.json().secrets).toEqual({ client_secret: 'kept-rotated-0' });
    }
    const patched = await replica.call(kept.token, 'PATCH', `/niu/credentials/${kept.ids[1]}`, { client_secret: 'after-purge' });
    expect(patched.statusCode).toBe(200);
    await replica.deps.signingKeys.refresh();
    expect((await replica.call(await replica.tokenFor(kept.fleetId), 'GET', '/credentials')).statusCode).toBe(200);

    // After "k-old" is removed everywhere, a restart with the fresh key alone opens everything that is kept.
    const restarted = await reuse([freshKey]);
    const token = await restarted.tokenFor(kept.fleetId, [...revealScopes]);
    const reveal = await restarted.call(token, 'GET', `/niu/credentials/${kept.ids[1]}/secrets`);
    expect(reveal.json().secrets).toEqual({ client_secret: 'after-purge' });
    expect((await restarted.deps.services.audit.verify()).filter((chain) => chain.problem !== undefined)).toEqual([]);
  });
});
