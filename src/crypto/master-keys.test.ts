import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMasterKeys, MasterKeyError, parseMasterKeys } from './master-keys.js';

const b64 = (bytes = 32) => randomBytes(bytes).toString('base64');

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-mk-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

describe('parseMasterKeys', () => {
  it('parses comma- or newline-separated id:base64 pairs, the first one first', () => {
    const a = b64();
    const b = b64();
    const keys = parseMasterKeys(`k2:${a}, k1:${b}`, 'SRC');
    expect(keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(keys[0]!.key.equals(Buffer.from(a, 'base64'))).toBe(true);
    expect(keys[1]!.key.length).toBe(32);
    expect(parseMasterKeys(`k2:${a}\nk1:${b}\n`, 'SRC').map((k) => k.id)).toEqual(['k2', 'k1']);
  });

  it('skips comments and blank lines', () => {
    const text = `# fleetvault master keys\n\n  # old one below\nnew.key-2:${b64()}\n\n   \nold_key:${b64()}\n`;
    expect(parseMasterKeys(text, 'SRC').map((k) => k.id)).toEqual(['new.key-2', 'old_key']);
  });

  it('refuses a bad id, naming the source and the entry', () => {
    for (const bad of [`:${b64()}`, `bad id:${b64()}`, `${'x'.repeat(65)}:${b64()}`, `k/1:${b64()}`, b64()]) {
      expect(() => parseMasterKeys(bad, 'FLEETVAULT_MASTER_KEYS'), bad).toThrow(MasterKeyError);
      expect(() => parseMasterKeys(bad, 'FLEETVAULT_MASTER_KEYS')).toThrow(/FLEETVAULT_MASTER_KEYS: entry 1/);
    }
  });

  it('refuses a key that does not decode to 32 bytes, without echoing it', () => {
    const short = b64(16);
    expect(() => parseMasterKeys(`k1:${short}`, 'SRC')).toThrow(/"k1" must decode to 32 bytes, got 16/);
    expect(() => parseMasterKeys(`k1:${b64(33)}`, 'SRC')).toThrow(MasterKeyError);
    expect(() => parseMasterKeys('k1:', 'SRC')).toThrow(/got 0/);
    try {
      parseMasterKeys(`k1:${short}`, 'SRC');
    } catch (error) {
      expect((error as Error).message).not.toContain(short);
    }
  });

  it('refuses a duplicated id', () => {
    expect(() => parseMasterKeys(`k1:${b64()},k1:${b64()}`, 'SRC')).toThrow(/"k1" appears twice/);
  });

  it('refuses a text without any key', () => {
    expect(() => parseMasterKeys('# nothing here\n\n', 'SRC')).toThrow(/SRC: no master key found/);
    expect(() => parseMasterKeys('', 'SRC')).toThrow(MasterKeyError);
  });
});

describe('loadMasterKeys', () => {
  const base = { masterKeys: undefined, masterKeyFile: undefined, nodeEnv: 'development' };

  it('takes FLEETVAULT_MASTER_KEYS first, creating no file', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'keys.txt');
    fs.writeFileSync(file, `from-file:${b64()}\n`);
    const loaded = loadMasterKeys({ ...base, dataDir, masterKeys: `from-env:${b64()}`, masterKeyFile: file });
    expect(loaded.keys.map((k) => k.id)).toEqual(['from-env']);
    expect(loaded.createdDevelopmentKeyFile).toBeUndefined();
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });

  it('reads FLEETVAULT_MASTER_KEY_FILE', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'keys.txt');
    fs.writeFileSync(file, `# rotated\nk2:${b64()}\nk1:${b64()}\n`, { mode: 0o600 });
    const loaded = loadMasterKeys({ ...base, dataDir, masterKeyFile: file, nodeEnv: 'production' });
    expect(loaded.keys.map((k) => k.id)).toEqual(['k2', 'k1']);
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });

  it('in production refuses a key file readable by group or others, naming the file', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'keys.txt');
    fs.writeFileSync(file, `k1:${b64()}\n`);
    for (const mode of [0o644, 0o640, 0o604]) {
      fs.chmodSync(file, mode);
      expect(() => loadMasterKeys({ ...base, dataDir, masterKeyFile: file, nodeEnv: 'production' })).toThrow(
        new RegExp(
          `FLEETVAULT_MASTER_KEY_FILE: ${file.replaceAll('/', '\\/')} is readable by group or others \\(mode 0${mode.toString(8)}\\)`,
        ),
      );
      // Outside production the same file is read (a developer's checkout).
      expect(loadMasterKeys({ ...base, dataDir, masterKeyFile: file, nodeEnv: 'development' }).keys).toHaveLength(1);
    }
    fs.chmodSync(file, 0o400);
    expect(loadMasterKeys({ ...base, dataDir, masterKeyFile: file, nodeEnv: 'production' }).keys).toHaveLength(1);
  });

  it('names a missing key file', () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'nope.txt');
    expect(() => loadMasterKeys({ ...base, dataDir, masterKeyFile: file })).toThrow(MasterKeyError);
    expect(() => loadMasterKeys({ ...base, dataDir, masterKeyFile: file })).toThrow(
      /FLEETVAULT_MASTER_KEY_FILE: cannot read .*nope\.txt \(ENOENT\)/,
    );
  });

  it('in development creates data/master.key with mode 0600 once, then reuses it', () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const first = loadMasterKeys({ ...base, dataDir });
    const file = path.join(dataDir, 'master.key');
    expect(first.createdDevelopmentKeyFile).toBe(file);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(first.keys).toHaveLength(1);
    const second = loadMasterKeys({ ...base, dataDir });
    expect(second.createdDevelopmentKeyFile).toBeUndefined();
    expect(second.keys[0]!.id).toBe(first.keys[0]!.id);
    expect(second.keys[0]!.key.equals(first.keys[0]!.key)).toBe(true);
  });

  it('in production refuses to start without a key, naming both variables', () => {
    const dataDir = tempDir();
    expect(() => loadMasterKeys({ ...base, dataDir, nodeEnv: 'production' })).toThrow(MasterKeyError);
    expect(() => loadMasterKeys({ ...base, dataDir, nodeEnv: 'production' })).toThrow(/FLEETVAULT_MASTER_KEYS.*FLEETVAULT_MASTER_KEY_FILE/);
    expect(fs.existsSync(path.join(dataDir, 'master.key'))).toBe(false);
  });
});
