/**
 * `npx tsx bench/backup-pause.ts`: the longest pause a writer sees while `fleetvault backup` reads a SQLite vault of
 * BENCH_CREDENTIALS credentials (default 20 000, real sealed secrets) and BENCH_AUDIT_EVENTS audit events (default
 * 200 000, one authentic chain). BENCH_WRITERS loops (default 2) create credentials through the credential service,
 * as a request would, one after the other, for BENCH_BASELINE_S seconds (default 15) before the backup and for as
 * long as the backup (its own process, as an operator runs it) takes. Prints the longest write and the p99 in both
 * windows and their ratio, and writes bench/backup-pause-results.json.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { cliContext } from '../src/core/context.js';
import { seedSqliteVault } from './seed-vault.js';
import { createDeps } from '../src/deps.js';

const credentials = Number(process.env.BENCH_CREDENTIALS ?? 20_000);
const events = Number(process.env.BENCH_AUDIT_EVENTS ?? 200_000);
const writers = Number(process.env.BENCH_WRITERS ?? 2);
const baselineMs = Number(process.env.BENCH_BASELINE_S ?? 15) * 1000;
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_DIR || os.tmpdir(), 'fleetvault-bench-pause-'));
const root = path.resolve(import.meta.dirname, '..');
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
const summary = (latencies: number[]) => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { writes: sorted.length, p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0 };
};

async function main() {
  const key = randomBytes(32);
  const env = { FLEETVAULT_DATA_DIR: dir, FLEETVAULT_MASTER_KEYS: `bench:${key.toString('base64')}` };
  const config = loadConfig({ FLEETVAULT_DATA_DIR: dir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const { fleetId } = await seedSqliteVault(dir, key, { credentials, events });
  const deps = await createDeps(config, { masterKeys: [{ id: 'bench', key }] });

  // Each write: one credential create (seal, insert, audit event, commit), timed from call to answer.
  const samples: { at: number; ms: number }[] = [];
  let stop = false;
  let n = 0;
  const writer = async () => {
    while (!stop) {
      const i = n++;
      const started = performance.now();
      await deps.services.credentials.create(cliContext(fleetId), 'niu', {
        name: `writer-${i}`,
        client_id: `writer-${i}`,
        client_secret: `writer-secret-${i}`,
      });
      samples.push({ at: started, ms: performance.now() - started });
    }
  };
  const running = Array.from({ length: writers }, writer);

  await new Promise((resolve) => setTimeout(resolve, baselineMs));
  const backupStarted = performance.now();
  const backup = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', '--out', path.join(dir, 'vault.backup'), '--json'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  backup.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  backup.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => backup.once('close', resolve));
  const backupEnded = performance.now();
  stop = true;
  await Promise.all(running);
  await deps.close();
  if (code !== 0) throw new Error(`backup exited ${code}:\n${output}`);

  const before = summary(samples.filter((s) => s.at + s.ms < backupStarted).map((s) => s.ms));
  // A write counts as during the backup when any part of it overlaps the backup's process lifetime.
  const during = summary(samples.filter((s) => s.at + s.ms >= backupStarted && s.at <= backupEnded).map((s) => s.ms));
  const results = {
    finishedAt: new Date().toISOString(),
    cpus: os.cpus().length,
    credentials,
    events,
    writers,
    backupSeconds: (backupEnded - backupStarted) / 1000,
    backup: JSON.parse(output),
    before,
    during,
    maxRatio: during.maxMs / before.maxMs,
    p99Ratio: during.p99Ms / before.p99Ms,
    loadavg: os.loadavg(),
  };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.writeFileSync(path.join(import.meta.dirname, 'backup-pause-results.json'), JSON.stringify(results, null, 2) + '\n');
  const line = (name: string, s: ReturnType<typeof summary>) =>
    `${name.padEnd(15)} ${String(s.writes).padStart(6)} writes  p50 ${s.p50Ms.toFixed(1).padStart(7)} ms  p99 ${s.p99Ms
      .toFixed(1)
      .padStart(7)} ms  longest ${s.maxMs.toFixed(1).padStart(7)} ms\n`;
  process.stdout.write(
    `${credentials} credentials, ${events} audit events, ${writers} writers; backup took ${results.backupSeconds.toFixed(1)} s\n` +
      line('before backup', before) +
      line('during backup', during) +
      `ratio during/before: longest ${results.maxRatio.toFixed(2)}x, p99 ${results.p99Ratio.toFixed(2)}x\n` +
      `machine: ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
  );
}

await main();
