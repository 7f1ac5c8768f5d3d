import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../../src/core/context.js';
import { dataKeysIn, occurrences } from '../helpers/shred-scan.js';
import { buildTestApp, newMasterKey, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * `fleet delete --purge` on SQLite with a fresh master key first (docs/operations.md, "Purging a fleet"): besides
 * erasing in place, the purge re-wraps every other key, so a backup made before it holds the fleet's wrapped data
 * key under a master key the vault no longer needs.
 */
const oldKey = newMasterKey('k-old');
const freshKey = newMasterKey('k-fresh');
const apps: TestApp[] = [];

afterAll(async () => {
  const [first, ...others] = apps;
  for (const app of others) await app.close({ keepData: true });
  await first?.close();
});

describe('fleet delete --purge on SQLite with a fresh master key', () => {
  it('is cryptographic: the backup copy of the data key opens with no kept key, and the kept fleet still reveals', async () => {
    const first = await buildTestApp({ masterKeys: [oldKey] });
    apps.push(first);
    const kept = await first.newFleet();
    const created = await first.call(kept.token, 'POST', '/niu/credentials', niuExample);
    expect(created.statusCode).toBe(201);
    const keptId = created.json().id as string;
    const purged = await first.newFleet();
    expect((await first.call(purged.token, 'POST', '/niu/credentials', niuExample)).statusCode).toBe(201);
    expect(await first.deps.database.checkpoint()).toBe(true);
    const backup = fs.readFileSync(path.join(first.dataDir, 'fleetvault.db'));
    const wrapped = Buffer.from((await first.deps.store.repos.dataKeys.ofFleet(purged.fleetId))[0]!.wrapped_key);
    expect(occurrences([backup], wrapped)).toBe(1);
    expect(dataKeysIn([wrapped], purged.fleetId, [oldKey]).opened).toHaveLength(1);

    const command = await buildTestApp({ reuse: first, masterKeys: [freshKey, oldKey] });
    apps.push(command);
    const report = await command.deps.services.fleetPurge.purge(cliFleetlessContext, purged.fleetId);
    expect(report).toMatchObject({
      shred: 'cryptographic',
      active_master_key: 'k-fresh',
      master_key_rotated_from: ['k-old'],
      retire_master_keys: ['k-old'],
      rewrapped_data_keys: 1,
      rewrapped_vault_keys: 3,
      wal_checkpointed: true,
    });
    expect(report.notice).toMatch(/backups made before the purge.*"k-old"/);
    expect(dataKeysIn([wrapped], purged.fleetId, [freshKey]).opened).toHaveLength(0);

    const restarted = await buildTestApp({ reuse: first, masterKeys: [freshKey] });
    apps.push(restarted);
    const token = await restarted.tokenFor(kept.fleetId, ['credentials:read', 'credentials:reveal']);
    const reveal = await restarted.call(token, 'GET', `/niu/credentials/${keptId}/secrets`);
    expect(reveal.json(), reveal.body).toMatchObject({ secrets: { client_secret: 'supersecret' } });
  });
});
