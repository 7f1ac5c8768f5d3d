import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileAtomically } from './atomic-file.js';

describe('writeFileAtomically', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-atomic-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes the file mode 0600 whatever the umask, leaving no temporary file', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'vault.backup');
    const previous = process.umask(0o000);
    try {
      await writeFileAtomically(target, async (emit) => {
        emit('one\n');
        emit('two\n');
      });
    } finally {
      process.umask(previous);
    }
    expect(fs.readFileSync(target, 'utf8')).toBe('one\ntwo\n');
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(dir)).toEqual(['vault.backup']);
  });

  it('leaves an earlier file untouched and no temporary file when writing fails midway', async () => {
    const dir = tempDir();
    const target = path.join(dir, 'vault.backup');
    fs.writeFileSync(target, 'earlier\n');
    await expect(
      writeFileAtomically(target, async (emit) => {
        emit('half');
        throw new Error('read failed');
      }),
    ).rejects.toThrow('read failed');
    expect(fs.readFileSync(target, 'utf8')).toBe('earlier\n');
    expect(fs.readdirSync(dir)).toEqual(['vault.backup']);
  });
});
