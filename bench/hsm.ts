/**
 * The cost of the root key in a PKCS#11 token (docs/hsm.md "Cost"): µs per data-key unwrap, file provider
 * against SoftHSM2, and the start-up time of a vault of BENCH_HSM_FLEETS fleets (default 1 000) under each,
 * on SQLite. Needs Debian's softhsm2. Run: npx tsx bench/hsm.ts (never in CI).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { cliFleetlessContext } from '../src/core/context.js';
import { randomKey, sodiumReady } from '../src/crypto/aead.js';
import { fileMasterKey, type MasterKeyWrapper } from '../src/crypto/master-key-provider.js';
import { pkcs11MasterKey } from '../src/crypto/pkcs11-master-key.js';
import { createPkcs11MasterKey, openPkcs11Token } from '../src/crypto/pkcs11-token.js';
import { createDeps } from '../src/deps.js';
import { initTestToken, removeTestTokens } from '../test/helpers/softhsm.js';

const fleets = Number(process.env.BENCH_HSM_FLEETS ?? 1000);
const unwraps = 2000;

function microsPerUnwrap(wrapper: MasterKeyWrapper): number {
  const binding = { kind: 'data-key' as const, fleetId: 'fleet', dataKeyId: 'key' };
  const wrapped = wrapper.wrap(randomKey(), binding);
  for (let i = 0; i < 100; i++) wrapper.unwrap(wrapped, binding);
  const started = process.hrtime.bigint();
  for (let i = 0; i < unwraps; i++) wrapper.unwrap(wrapped, binding);
  return Number(process.hrtime.bigint() - started) / 1000 / unwraps;
}

/** Seeds `fleets` fleets (each born with its data key) under `env`, then times a second start-up (every data key unwrapped). */
async function startupSeconds(env: Record<string, string>, masterKeys: { id: string; key: Buffer }[]): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-bench-hsm-'));
  const config = loadConfig({ FLEETVAULT_DATA_DIR: dataDir, NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env });
  const seeding = await createDeps(config, { masterKeys });
  for (let i = 0; i < fleets; i++) await seeding.services.fleets.create(cliFleetlessContext, `fleet ${i}`);
  await seeding.close();
  const started = process.hrtime.bigint();
  const deps = await createDeps(config, { masterKeys });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await deps.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  return seconds;
}

await sodiumReady();
const token = initTestToken('bench');
createPkcs11MasterKey(token.settings(), 'root-1');
const opened = openPkcs11Token(token.settings());
const file = microsPerUnwrap(fileMasterKey({ id: 'file', key: randomBytes(32) }));
const pkcs11 = microsPerUnwrap(pkcs11MasterKey(opened, 'root-1'));
opened.close();
const fileStart = await startupSeconds({}, [{ id: 'file', key: randomBytes(32) }]);
const pkcs11Start = await startupSeconds(token.env(), []);
const results = {
  unwrap_us: { file: Number(file.toFixed(1)), pkcs11_softhsm2: Number(pkcs11.toFixed(1)) },
  startup_seconds: { fleets, file: Number(fileStart.toFixed(2)), pkcs11_softhsm2: Number(pkcs11Start.toFixed(2)) },
  load: os.loadavg().map((n) => Number(n.toFixed(2))),
};
removeTestTokens();
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
