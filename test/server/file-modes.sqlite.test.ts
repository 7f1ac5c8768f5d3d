import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { cliFleetlessContext } from '../../src/core/context.js';
import { createDeps } from '../../src/deps.js';

/** What a fresh start writes is the owner's only (the data dir 0700, its files 0600). */
describe('file modes of a fresh start', () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-modes-'));
  afterAll(() => fs.rmSync(parent, { recursive: true, force: true }));
  const mode = (file: string) => fs.statSync(file).mode & 0o777;

  it('creates the data directory 0700 and the master key, database, -wal and -shm 0600 under a 022 umask', async () => {
    const dataDir = path.join(parent, 'data');
    const previous = process.umask(0o022);
    try {
      const deps = await createDeps(loadConfig({ FLEETVAULT_DATA_DIR: dataDir, NODE_ENV: 'development', LOG_LEVEL: 'silent' }));
      try {
        await deps.services.fleets.create(cliFleetlessContext, 'modes');
        const db = path.join(dataDir, 'fleetvault.db');
        expect(fs.existsSync(`${db}-wal`) && fs.existsSync(`${db}-shm`)).toBe(true);
        expect({
          dir: mode(dataDir),
          key: mode(path.join(dataDir, 'master.key')),
          db: mode(db),
          wal: mode(`${db}-wal`),
          shm: mode(`${db}-shm`),
        }).toEqual({ dir: 0o700, key: 0o600, db: 0o600, wal: 0o600, shm: 0o600 });
      } finally {
        await deps.close();
      }
    } finally {
      process.umask(previous);
    }
  });
});
