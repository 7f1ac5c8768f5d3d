import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupCommand } from '../../src/backup/backup.cli.js';
import { loadConfig } from '../../src/config.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { createPkcs11MasterKey } from '../../src/crypto/pkcs11-token.js';
import { tempDir } from '../helpers/backup-vault.js';
import { urlWithSchema } from '../helpers/server-process.js';
import { initTestToken, removeTestTokens, type TestToken } from '../helpers/softhsm.js';
import { buildTestApp, newMasterKey, niuExample, type TestApp } from '../helpers/test-app.js';
import { createTestStorage, type TestStorage } from '../helpers/test-database.js';

/** Moving an install's master key into a PKCS#11 token and back, online (docs/hsm.md "Moving an install into the HSM"). */
let token: TestToken;

beforeAll(() => {
  token = initTestToken();
  createPkcs11MasterKey(token.settings(), 'root-1');
  createPkcs11MasterKey(token.settings('root-2'), 'root-2');
});

async function kekIds(t: TestApp): Promise<string[]> {
  const db = t.deps.database.db;
  const dataKeys = await db.selectFrom('fleet_data_keys').select('kek_id').execute();
  const vaultKeys = await db.selectFrom('vault_keys').select('kek_id').execute();
  return [...new Set([...dataKeys, ...vaultKeys].map((row) => row.kek_id))].sort();
}

interface Written {
  fleetId: string;
  id: string;
  secret: string;
}

async function revealAll(t: TestApp, written: Written[]): Promise<void> {
  for (const { fleetId, id, secret } of written) {
    const res = await t.call(await t.tokenFor(fleetId), 'GET', `/niu/credentials/${id}/secrets`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().secrets).toEqual({ client_secret: secret });
  }
}

/** The config the fleetvault command would read for this app's data, plus `env`. */
function commandConfig(storage: Pick<TestStorage, 'databaseUrl' | 'pgSchema'>, dataDir: string, env: Record<string, string>) {
  return loadConfig({
    FLEETVAULT_DATA_DIR: dataDir,
    NODE_ENV: 'test',
    ...(storage.databaseUrl && storage.pgSchema && { DATABASE_URL: urlWithSchema(storage.databaseUrl, storage.pgSchema) }),
    ...env,
  });
}

async function command(config: ReturnType<typeof loadConfig>, args: [command: 'backup' | 'restore', sub?: string, file?: string], io = {}) {
  let out = '';
  const stdout = new Writable({ write: (chunk: Buffer, _encoding, done) => ((out += chunk.toString()), done()) });
  await runBackupCommand(config, args[0], args[1], args[2], { json: true, ...io }, { stdout, stderr: process.stderr });
  return JSON.parse(out) as Record<string, unknown>;
}

afterAll(removeTestTokens);

describe('keys rotate between the file provider and the token', () => {
  it('moves every key from the file into the token while writes go on, to a new label, and back; backups follow', async () => {
    const fileKey = newMasterKey('file-1');
    const serving = await buildTestApp({ masterKeys: [fileKey] });
    const written: Written[] = [];
    for (let i = 0; i < 3; i++) {
      const { fleetId, token: bearer } = await serving.newFleet();
      const id = (await serving.call(bearer, 'POST', '/niu/credentials', { ...niuExample, name: `fleet ${i}` })).json().id as string;
      written.push({ fleetId, id, secret: niuExample.client_secret });
    }

    // A replica restarted with both providers configured, the token's key active; the old one keeps serving.
    const moving = await buildTestApp({ reuse: serving, masterKeys: [fileKey], env: token.env() });
    expect(moving.deps.keyring.masterKeyIds).toEqual(['pkcs11:root-1', 'file-1']);
    let writing = true;
    const writes = (async () => {
      for (let n = 0; writing && n < 500; n++) {
        const target = written[n % written.length]!;
        const app = n % 2 === 0 ? serving : moving;
        const secret = `during-move-${n}`;
        const res = await app.call(await app.tokenFor(target.fleetId), 'PATCH', `/niu/credentials/${target.id}`, { client_secret: secret });
        expect(res.statusCode, res.body).toBe(200);
        target.secret = secret;
      }
    })();
    const created = await moving.newFleet();
    const done = await moving.deps.services.keys.rotateMaster(cliFleetlessContext);
    writing = false;
    await writes;
    expect(done).toEqual({ dataKeys: 3, vaultKeys: 3 });
    expect(written.some((w) => w.secret.startsWith('during-move-'))).toBe(true);
    expect(await kekIds(moving)).toEqual(['pkcs11:root-1']);
    expect(created.fleetId).toBeTruthy();
    await serving.close({ keepData: true });
    await moving.close({ keepData: true });

    // The token alone opens everything, with the values last written; the file key alone opens nothing now.
    const inToken = await buildTestApp({ reuse: serving, masterKeys: [], env: token.env() });
    await revealAll(inToken, written);
    await inToken.close({ keepData: true });
    await expect(buildTestApp({ reuse: serving, masterKeys: [fileKey] })).rejects.toThrow(/master key "pkcs11:root-1".*not configured/);

    // backup, backup verify and restore open the keys through the token.
    const backupDir = tempDir('fleetvault-hsm-backup-');
    const file = path.join(backupDir, 'vault.fvbak');
    const hsmConfig = commandConfig(serving.storage, serving.dataDir, token.env());
    await command(hsmConfig, ['backup'], { out: file });
    expect(await command(hsmConfig, ['backup', 'verify', file])).toMatchObject({ ok: true, data_keys: 4 });
    await expect(
      command(commandConfig(serving.storage, serving.dataDir, { FLEETVAULT_MASTER_KEYS: 'file-1:' + fileKey.key.toString('base64') }), [
        'backup',
        'verify',
        file,
      ]),
    ).rejects.toThrow(/is wrapped by master key "pkcs11:root-1", which is not configured/);
    const target = { storage: await createTestStorage(), dataDir: tempDir('fleetvault-hsm-restore-') };
    expect(await command(commandConfig(target.storage, target.dataDir, token.env()), ['restore'], { in: file })).toMatchObject({
      ok: true,
    });
    const restored = await buildTestApp({ reuse: target, masterKeys: [], env: token.env() });
    await revealAll(restored, written);
    await restored.close();
    fs.rmSync(backupDir, { recursive: true, force: true });

    // To a new key in the token: the new label first, the old one unwraps until the rotation is done.
    const relabel = await buildTestApp({ reuse: serving, masterKeys: [], env: token.env('root-2,root-1') });
    expect(await relabel.deps.services.keys.rotateMaster(cliFleetlessContext)).toEqual({ dataKeys: 4, vaultKeys: 3 });
    expect(await kekIds(relabel)).toEqual(['pkcs11:root-2']);
    await relabel.close({ keepData: true });

    // And back to a file key: the file provider active, the token's key unwrapping until then.
    const back = newMasterKey('file-2');
    const leaving = await buildTestApp({ reuse: serving, masterKeys: [back], env: token.env('root-2', 'file') });
    expect(leaving.deps.keyring.masterKeyIds).toEqual(['file-2', 'pkcs11:root-2']);
    expect(await leaving.deps.services.keys.rotateMaster(cliFleetlessContext)).toEqual({ dataKeys: 4, vaultKeys: 3 });
    await leaving.close({ keepData: true });
    const fileOnly = await buildTestApp({ reuse: serving, masterKeys: [back] });
    expect(await kekIds(fileOnly)).toEqual(['file-2']);
    await revealAll(fileOnly, written);
    await fileOnly.close();
  });
});
