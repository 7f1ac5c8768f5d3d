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
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { type AuditEvent, eventHash, GENESIS_HASH } from '../src/audit/audit-chain.js';
import { loadConfig } from '../src/config.js';
import { cliFleetlessContext } from '../src/core/context.js';
import { loadOrCreateVaultKey } from '../src/crypto/vault-keys.js';
import { createDeps } from '../src/deps.js';

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

/** `n` credentials with real sealed secrets and a chain of `m` authentic events, in one transaction each. */
function seed(file: string, fleetId: string, sealed: Buffer[], dataKeyId: string, auditKey: Buffer): void {
  const db = new SQLite(file);
  try {
    const now = '2026-12-06T00:00:00.000Z';
    const credential = db.prepare(`INSERT INTO credentials (id, fleet_id, brand, name, name_key, name_missing, fields, sealed_secrets,
      secret_version, created_at, updated_at, secret_updated_at, secret_created_by, status, status_checked_at, data_key_id)
      VALUES (?, ?, 'niu', NULL, '', 1, ?, ?, 1, ?, ?, ?, '{"type":"cli","id":"bench"}', 'unknown', NULL, ?)`);
    db.transaction(() => {
      sealed.forEach((value, i) => {
        credential.run(credentialId(i), fleetId, JSON.stringify({ client_id: `client-${i}` }), value, now, now, now, dataKeyId);
      });
    })();
    const insert = db.prepare(`INSERT INTO audit_events (id, chain, fleet_id, seq, at, actor_type, actor_id, action, target_type, target_id,
      target_brand, request_id, outcome, details, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, 'client', ?, 'credential.rotated', 'credential', ?, 'niu', ?, 'success', ?, ?, ?)`);
    const head = db.prepare('UPDATE audit_heads SET seq = ?, hash = ?, at = ? WHERE chain = ?');
    db.transaction(() => {
      // The fleet's chain already holds its creation events: continue it.
      const last = db.prepare('SELECT seq, hash FROM audit_heads WHERE chain = ?').get(fleetId) as { seq: number; hash: string };
      let prev = last?.hash ?? GENESIS_HASH;
      const first = (last?.seq ?? 0) + 1;
      const start = Date.UTC(2026, 0, 1);
      for (let seq = first; seq < first + events; seq++) {
        const event: Omit<AuditEvent, 'hash'> = {
          id: `01JBENCH${String(seq).padStart(18, '0')}`,
          fleet_id: fleetId,
          seq,
          at: new Date(start + seq * 1000).toISOString(),
          actor: { type: 'client', id: '01JBENCHCLIENT000000000000' },
          action: 'credential.rotated',
          target: { type: 'credential', id: credentialId(seq % credentials), brand: 'niu' },
          request_id: `req-${seq}`,
          outcome: 'success',
          details: { secret_version: 2, fields: ['client_secret'] },
          prev_hash: prev,
        };
        const hash = eventHash(auditKey, event);
        insert.run(
          event.id,
          fleetId,
          fleetId,
          seq,
          event.at,
          event.actor.id,
          event.target.id,
          event.request_id,
          JSON.stringify(event.details),
          prev,
          hash,
        );
        prev = hash;
        if (seq === first + events - 1) head.run(seq, hash, event.at, fleetId);
      }
    })();
  } finally {
    db.close();
  }
}

const credentialId = (i: number) => `01JBENCHCRED${String(i).padStart(14, '0')}`;

async function main() {
  const key = randomBytes(32);
  const masterKeys = `bench:${key.toString('base64')}`;
  const sourceDir = path.join(dir, 'source');
  const config = loadConfig({ FLEETVAULT_DATA_DIR: sourceDir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const deps = await createDeps(config, { masterKeys: [{ id: 'bench', key }] });
  const fleet = await deps.services.fleets.create(cliFleetlessContext, 'bench');
  const sealed: Buffer[] = [];
  let dataKeyId = '';
  for (let i = 0; i < credentials; i++) {
    const done = await deps.keyring.sealSecrets(fleet.id, credentialId(i), 1, { client_secret: `secret-${i}` });
    sealed.push(done.sealed);
    dataKeyId = done.dataKeyId;
  }
  const auditKey = await loadOrCreateVaultKey(
    { vaultKeys: deps.store.repos.vaultKeys, keyring: deps.keyring, clock: deps.clock, ids: deps.ids },
    'audit-hmac',
    () => {
      throw new Error('the audit key should exist');
    },
  );
  await deps.close();
  const seeding = Date.now();
  seed(path.join(sourceDir, 'fleetvault.db'), fleet.id, sealed, dataKeyId, auditKey.material);
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
