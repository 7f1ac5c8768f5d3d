import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliEnv, populateVault, tempDir, type VaultFacts } from '../helpers/backup-vault.js';
import { buildTestApp, newMasterKey, type TestApp } from '../helpers/test-app.js';

/**
 * `fleetvault backup verify` refuses a backup it cannot trust, exit 1 with the reason; `restore` refuses a database
 * that holds rows and changes nothing; the file holds no plaintext secret and no master key.
 */
let t: TestApp;
let facts: VaultFacts;
let work: string;
let file: string;
let env: Record<string, string>;

beforeAll(async () => {
  t = await buildTestApp();
  facts = await populateVault(t);
  work = tempDir('fleetvault-verify-');
  file = path.join(work, 'vault.backup');
  env = cliEnv(t.storage, t.dataDir, t.masterKeys[0]!);
  const backup = await cli(['backup', '--out', file], env);
  expect(backup.code, backup.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await t?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

/** A copy of the backup with its lines changed by `edit`; `rehash` recomputes the trailer's checksum as a forger would. */
function tampered(name: string, edit: (lines: string[]) => string[], rehash = false): string {
  let lines = edit(fs.readFileSync(file, 'utf8').split('\n').slice(0, -1));
  if (rehash) {
    const body = lines.slice(0, -1).map((line) => `${line}\n`);
    const trailer = { ...JSON.parse(lines.at(-1)!), sha256: createHash('sha256').update(body.join('')).digest('hex') };
    lines = [...lines.slice(0, -1), JSON.stringify(trailer)];
  }
  const copy = path.join(work, name);
  fs.writeFileSync(copy, lines.map((line) => `${line}\n`).join(''));
  return copy;
}

/** The index of the credential's row line: the first row after the `credentials` table line. */
function credentialRow(lines: string[]): number {
  const table = lines.findIndex((line) => line.startsWith('{"type":"table","name":"credentials"'));
  return table + 1;
}

async function expectRefused(target: string, reason: RegExp, extraEnv: Record<string, string> = {}) {
  const result = await cli(['backup', 'verify', target], { ...env, ...extraEnv });
  expect(result.code, result.stdout).toBe(1);
  expect(result.stderr).toMatch(reason);
}

describe('fleetvault backup verify', { timeout: 120_000 }, () => {
  it('passes an intact backup, opening every key, secret and chain', async () => {
    const result = await cli(['backup', 'verify', file, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: true, secrets_opened: 3 });
  });

  it('refuses a flipped byte', async () => {
    const copy = tampered('flipped', (lines) => {
      const i = credentialRow(lines);
      const at = lines[i]!.indexOf('"b64":"') + 20;
      lines[i] = lines[i]!.slice(0, at) + (lines[i]![at] === 'A' ? 'B' : 'A') + lines[i]!.slice(at + 1);
      return lines;
    });
    await expectRefused(copy, /checksum does not match/);
  });

  it('refuses a changed ciphertext even when the checksum was recomputed: the secret does not open', async () => {
    const copy = tampered(
      'forged',
      (lines) => {
        const i = credentialRow(lines);
        const at = lines[i]!.lastIndexOf('"b64":"') + 30;
        lines[i] = lines[i]!.slice(0, at) + (lines[i]![at] === 'A' ? 'B' : 'A') + lines[i]!.slice(at + 1);
        return lines;
      },
      true,
    );
    await expectRefused(copy, new RegExp(`credential ${facts.credentialId} .*does not open`));
  });

  it('refuses a truncated file', async () => {
    const bytes = fs.readFileSync(file);
    const copy = path.join(work, 'truncated');
    fs.writeFileSync(copy, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expectRefused(copy, /truncated/);
  });

  it('refuses a wrong master key', async () => {
    const wrong = newMasterKey(t.masterKeys[0]!.id);
    await expectRefused(file, /master key "test-1" does not open/, {
      FLEETVAULT_MASTER_KEYS: `${wrong.id}:${wrong.key.toString('base64')}`,
    });
  });

  it('refuses a newer schema version than this release knows', async () => {
    const copy = tampered(
      'newer-schema',
      (lines) => [...lines.slice(0, -1), lines.at(-1)!.replace(/"schema_version":\d+/, '"schema_version":999')],
      true,
    );
    await expectRefused(copy, /schema version 999, newer than this fleetvault knows/);
  });

  it('refuses a newer format version', async () => {
    const copy = tampered('newer', (lines) => [lines[0]!.replace('"version":1', '"version":2'), ...lines.slice(1)], true);
    await expectRefused(copy, /format version 2, newer than this fleetvault reads \(1\)/);
  });
});

describe('the backup file and restore', { timeout: 120_000 }, () => {
  it('holds no plaintext secret and no master key bytes', () => {
    const bytes = fs.readFileSync(file);
    const text = bytes.toString('utf8');
    for (const secret of [...Object.values(facts.secrets), facts.clientSecret]) expect(text).not.toContain(secret);
    const key = t.masterKeys[0]!.key;
    expect(bytes.includes(key)).toBe(false);
    for (const encoding of ['base64', 'base64url', 'hex'] as const) expect(text).not.toContain(key.toString(encoding));
  });

  it('refuses to restore into a database that holds rows, naming them, and changes nothing', async () => {
    const count = async () => (await t.deps.database.db.selectFrom('credentials').select('id').execute()).length;
    const before = { credentials: await count(), fleets: (await t.deps.database.db.selectFrom('fleets').select('id').execute()).length };
    const result = await cli(['restore', '--in', file], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the target database is not empty: it holds fleets (${before.fleets} rows)`);
    expect(result.stderr).toContain('nothing was changed');
    expect(await count()).toBe(before.credentials);
  });
});
