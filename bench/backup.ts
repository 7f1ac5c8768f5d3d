/**
 * `npx tsx bench/backup.ts`: time and peak RSS of `fleetvault backup`, `backup verify` and `restore` (SQLite to
 * SQLite, and SQLite to PostgreSQL when BENCH_DATABASE_URL is set) on a vault of BENCH_CREDENTIALS credentials
 * (default 100 000, each with a real sealed secret) and BENCH_AUDIT_EVENTS audit events (default 1 000 000, one
 * authentic chain, written straight into the tables as bench/audit.ts does). Each command runs as its own process, as
 * an operator runs it. Prints a table and writes bench/backup-results.json.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { seedSqliteVault } from './seed-vault.js';

const credentials = Number(process.env.BENCH_CREDENTIALS ?? 100_000);
const events = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const pgUrl = process.env.BENCH_DATABASE_URL;
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_DIR || os.tmpdir(), 'fleetvault-bench-backup-'));
const root = path.resolve(import.meta.dirname, '..');

interface Run {
  seconds: number;
  maxRssMb: number;
}

function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', './bench/max-rss.mjs', 'src/cli.ts', ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const rss = /MAXRSS_KB (\d+)/.exec(output);
      if (code !== 0 || rss === null) reject(new Error(`fleetvault ${args.join(' ')} exited ${code}:\n${output}`));
      else resolve({ seconds, maxRssMb: Number(rss[1]) / 1024 });
    });
  });
}

async function main() {
  const key = randomBytes(32);
  const masterKeys = `bench:${key.toString('base64')}`;
  const sourceDir = path.join(dir, 'source');
  const seeding = Date.now();
  await seedSqliteVault(sourceDir, key, { credentials, events });
  const seedSeconds = (Date.now() - seeding) / 1000;

  const file = path.join(dir, 'vault.backup');
  const env = (dataDir: string, databaseUrl?: string) => ({
    FLEETVAULT_DATA_DIR: dataDir,
    FLEETVAULT_MASTER_KEYS: masterKeys,
    ...(databaseUrl && { DATABASE_URL: databaseUrl }),
  });
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    cpus: os.cpus().length,
    credentials,
    events,
    seedSeconds,
  };
  try {
    results.backup = await runCli(['backup', '--out', file, '--json'], env(sourceDir));
    results.fileMb = fs.statSync(file).size / 1024 / 1024;
    results.verify = await runCli(['backup', 'verify', file, '--json'], env(sourceDir));
    results.restoreSqlite = await runCli(['restore', '--in', file, '--json'], env(path.join(dir, 'target')));
    if (pgUrl !== undefined) {
      const schema = `fv_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: pgUrl });
      await admin.connect();
      await admin.query(`CREATE SCHEMA ${schema}`);
      try {
        const url = new URL(pgUrl);
        url.searchParams.set('options', `-c search_path=${schema}`);
        results.restorePostgres = await runCli(['restore', '--in', file, '--json'], env(path.join(dir, 'pg'), url.toString()));
      } finally {
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  results.loadavg = os.loadavg();
  results.finishedAt = new Date().toISOString();
  fs.writeFileSync(path.join(import.meta.dirname, 'backup-results.json'), JSON.stringify(results, null, 2) + '\n');
  const line = (name: string, run: Run | undefined) =>
    run === undefined
      ? ''
      : `${name.padEnd(18)} ${run.seconds.toFixed(1).padStart(7)} s  ${run.maxRssMb.toFixed(0).padStart(6)} MB peak RSS\n`;
  process.stdout.write(
    `${credentials} credentials, ${events} audit events; backup file ${(results.fileMb as number).toFixed(0)} MB\n` +
      line('backup', results.backup as Run) +
      line('backup verify', results.verify as Run) +
      line('restore (SQLite)', results.restoreSqlite as Run) +
      line('restore (PostgreSQL)', results.restorePostgres as Run | undefined) +
      `machine: ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
}

await main();
