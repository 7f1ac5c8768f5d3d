import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/db/project-root.js';

/**
 * SIGTERM at several points of start-up (each point is a log line the process
 * writes; the signal is sent as soon as it appears, like a supervisor's rolling restart). Every
 * time the process must exit 0 by itself, not die by the signal, with the database closed.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

function signalAt(
  pattern: RegExp,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<{ code: number | null; by: string | null; output: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-sig-'));
  dirs.push(dataDir);
  const root = projectRoot();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/server.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', LOG_LEVEL: 'debug', FLEETVAULT_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let sent = false;
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    if (!sent && pattern.test(output)) {
      sent = true;
      child.kill(signal);
    }
  };
  child.stdout.on('data', onOutput);
  child.stderr.on('data', onOutput);
  return new Promise((resolve) => child.once('exit', (code, by) => resolve({ code, by, output, dataDir })));
}

describe('a stop signal during start-up', { timeout: 60_000 }, () => {
  const points: [string, RegExp][] = [
    ['while the master key is made (inside database set-up)', /created a development master key/],
    ['once the database is open', /start-up: database ready/],
    ['after the bootstrap client is written', /empty database: created the default fleet/],
    ['once the app is built, before it listens', /start-up: app built/],
    ['as soon as it logs that it listens', /Server listening at/],
  ];
  for (const [when, pattern] of points) {
    it(`SIGTERM ${when}: exits 0 by itself with the database closed`, async () => {
      const { code, by, output, dataDir } = await signalAt(pattern);
      expect({ code, by }, output).toEqual({ code: 0, by: null });
      expect(output).toMatch(/"msg":"stopped"/);
      // SQLite removes the -wal file when its last connection closes cleanly.
      expect(fs.existsSync(path.join(dataDir, 'fleetvault.db-wal')), output).toBe(false);
    });
  }

  it('SIGINT once the database is open: exits 0 too', async () => {
    const { code, by, output } = await signalAt(/start-up: database ready/, 'SIGINT');
    expect({ code, by }, output).toEqual({ code: 0, by: null });
  });
});
