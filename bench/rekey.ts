/**
 * Bench part `rekey`: re-encrypting a fleet of `rows` credentials with
 * `fleetvault keys rotate-data-key` while a server process serves GETs of the same fleet.
 * Reports rows/s and GET p99 during the rotation against GET p99 idle (goal: ≤ 2×).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { cliContext, cliFleetlessContext } from '../src/core/context.js';
import { ulidGenerator } from '../src/core/clock.js';
import { projectRoot } from '../src/db/project-root.js';
import { createDeps } from '../src/deps.js';
import { type Measured, measure } from './load.js';

export interface RekeyBenchResult {
  rows: number;
  seedSeconds: number;
  rekeySeconds: number;
  rowsPerSecond: number;
  idle: Measured;
  /** Measured windows that lay wholly inside the rotation. */
  during: Measured[];
  /** The worst window's GET p99 ÷ idle GET p99. */
  p99Ratio: number;
}

/** Seeds `rows` credentials, each sealed as the app seals it, straight into the SQLite file (set-up, not measured). */
async function seed(dataDir: string, env: Record<string, string>, rows: number) {
  const started = performance.now();
  const deps = await createDeps(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  try {
    const fleet = await deps.services.fleets.create(cliFleetlessContext, 'rekey bench');
    const client = await deps.services.clients.createSecretClient(cliContext(fleet.id), 'bench', ['credentials:read']);
    const ids = ulidGenerator();
    const now = new Date().toISOString();
    const sealedRows: { id: string; name: string; fields: string; sealed: Buffer; dataKeyId: string }[] = [];
    for (let i = 0; i < rows; i++) {
      const id = ids.next();
      const { sealed, dataKeyId } = await deps.keyring.sealSecrets(deps.store.repos.dataKeys, fleet.id, id, 1, {
        client_secret: `secret-${i}-${randomBytes(8).toString('hex')}`,
      });
      sealedRows.push({ id, name: `Rekey ${i}`, fields: JSON.stringify({ client_id: `client-${i}` }), sealed, dataKeyId });
    }
    const db = new SQLite(path.join(dataDir, 'fleetvault.db'));
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('synchronous = OFF');
      const insert = db.prepare(
        `INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets, data_key_id,
           secret_version, created_at, updated_at, secret_updated_at)
         VALUES (?, ?, 'niu', ?, ?, 0, ?, ?, ?, 1, ?, ?, ?)`,
      );
      db.transaction(() => {
        for (const r of sealedRows)
          insert.run(r.id, fleet.id, r.name, r.name.toLowerCase(), r.fields, r.sealed, r.dataKeyId, now, now, now);
      })();
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
    return { fleetId: fleet.id, client, ids: sealedRows.slice(0, 200).map((r) => r.id), seconds: (performance.now() - started) / 1000 };
  } finally {
    await deps.close();
  }
}

/** The server on a free port with logging off (as measured elsewhere in the bench), ready once /healthz answers. */
async function startQuietServer(env: Record<string, string>): Promise<{ baseUrl: string; child: ChildProcess }> {
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'src/server.ts')], {
    cwd: projectRoot(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 600; attempt++) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    const ready = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return { baseUrl, child };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  child.kill('SIGKILL');
  throw new Error('the server did not answer /healthz within 120 s');
}

export async function runRekeyBench(
  dataDir: string,
  options: { rows: number; connections: number; seconds: number; log: (line: string) => void },
): Promise<RekeyBenchResult> {
  const env = {
    FLEETVAULT_DATA_DIR: dataDir,
    FLEETVAULT_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    FLEETVAULT_RATE_LIMIT_MAX: '10000000',
    FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '10000000',
  };
  options.log(`rekey: seeding ${options.rows} sealed credentials`);
  const seeded = await seed(dataDir, env, options.rows);
  const server = await startQuietServer(env);
  try {
    const tokenRes = await fetch(`${server.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${seeded.client.client_id}:${seeded.client.client_secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const load = {
      url: server.baseUrl,
      connections: options.connections,
      headers: { authorization: `Bearer ${token}` },
      requests: seeded.ids.map((id) => ({ method: 'GET' as const, path: `/niu/credentials/${id}` })),
    };
    options.log('rekey: GET idle');
    const idle = await measure({ ...load, seconds: options.seconds, warmupSeconds: 1 });

    options.log('rekey: GET during keys rotate-data-key');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot(), 'src/cli.ts'), 'keys', 'rotate-data-key', '--fleet', seeded.fleetId, '--json'],
      {
        cwd: projectRoot(),
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let buffered = '';
    let firstProgressAt = 0;
    let doneAt = 0;
    let resealed = 0;
    const firstProgress = new Promise<void>((resolve) => {
      child.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffered.slice(0, newline)) as { event: string; resealed: number };
          buffered = buffered.slice(newline + 1);
          if (firstProgressAt === 0) {
            firstProgressAt = performance.now();
            resolve();
          }
          if (line.event === 'done') {
            doneAt = performance.now();
            resealed = line.resealed;
          }
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    await firstProgress;
    const during: Measured[] = [];
    while (doneAt === 0 && child.exitCode === null) {
      const window = await measure({ ...load, seconds: 2, warmupSeconds: 0 });
      if (doneAt === 0) during.push(window);
    }
    const code = await exited;
    if (code !== 0) throw new Error(`keys rotate-data-key exited with ${code}`);
    const rekeySeconds = (doneAt - firstProgressAt) / 1000;
    const worst = during.reduce((a, b) => (b.p99Ms > a ? b.p99Ms : a), 0);
    return {
      rows: options.rows,
      seedSeconds: seeded.seconds,
      rekeySeconds,
      rowsPerSecond: resealed / rekeySeconds,
      idle,
      during,
      p99Ratio: during.length === 0 ? NaN : worst / idle.p99Ms,
    };
  } finally {
    server.child.kill('SIGTERM');
  }
}
