import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { backupTables } from '../../src/backup/backup-tables.js';
import { projectRoot } from '../../src/db/project-root.js';
import { cli, cliEnv, expectVaultRestored, openRestored, populateVault, tempDir } from '../helpers/backup-vault.js';
import { auditKeyOf, seedAuditEvents } from '../helpers/seed-audit-events.js';
import { buildTestApp } from '../helpers/test-app.js';
import { adminQuery, createTestStorage, type TestStorage } from '../helpers/test-database.js';

/**
 * A `restore` killed (SIGKILL: no handler runs) while it inserts rows leaves the target with no row in any vault table,
 * and the same restore run again succeeds (docs/backup.md, "Restoring"). Runs on the project's engine as the target.
 */
const sqliteStorage: TestStorage = { engine: 'sqlite', databaseUrl: undefined, pgSchema: undefined, drop: async () => {} };
const EVENTS = 60_000;
const cleanup: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Rows in each vault table that exists in the target (the migrations may have created them). */
async function rowsIn(target: TestStorage, dataDir: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (target.engine === 'sqlite') {
    if (!fs.existsSync(path.join(dataDir, 'fleetvault.db'))) return counts;
    const db = new SQLite(path.join(dataDir, 'fleetvault.db'), { readonly: true });
    try {
      const names = new Set(
        (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name),
      );
      for (const table of backupTables.filter((t) => names.has(t))) {
        counts[table] = (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      }
    } finally {
      db.close();
    }
    return counts;
  }
  const { rows } = await adminQuery(target.databaseUrl!, 'SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [
    target.pgSchema,
  ]);
  for (const { table_name: table } of rows as { table_name: string }[]) {
    if (!(backupTables as readonly string[]).includes(table)) continue;
    const result = await adminQuery(target.databaseUrl!, `SELECT count(*)::int AS n FROM ${target.pgSchema}.${table}`);
    counts[table] = result.rows[0].n as number;
  }
  return counts;
}

/** Committed audit events a second connection sees (0 before the migrations created the table). */
function visibleSqliteEvents(dataDir: string): number {
  const file = path.join(dataDir, 'fleetvault.db');
  if (!fs.existsSync(file)) return 0;
  const db = new SQLite(file, { readonly: true });
  try {
    const row = db.prepare(`SELECT EXISTS (SELECT 1 FROM audit_events) AS n`).get() as { n: number };
    return row.n;
  } catch {
    return 0; // no such table yet: the migrations have not run
  } finally {
    db.close();
  }
}

/**
 * True once the restore is inserting audit events: some are visible already (a restore that commits as it goes, which
 * the test must catch), or, uncommitted: on PostgreSQL its transaction's last statement inserted audit events; on
 * SQLite the rows it inserted no longer fit the page cache and spill into the WAL (the migrations write far less).
 */
async function loading(target: TestStorage, dataDir: string, since: Date): Promise<boolean> {
  if (target.engine === 'sqlite') {
    const wal = path.join(dataDir, 'fleetvault.db-wal');
    if (fs.existsSync(wal) && fs.statSync(wal).size > 8 * 1024 * 1024) return true;
  }
  if (target.engine === 'sqlite') return visibleSqliteEvents(dataDir) > 0;
  // The tables are created in the same transaction, so they are not in pg_class for us: look at its last statement.
  const { rows } = await adminQuery(
    target.databaseUrl!,
    `SELECT 1 FROM pg_stat_activity WHERE state IN ('active', 'idle in transaction') AND xact_start >= $1
      AND query LIKE 'INSERT INTO "audit_events" (%'`,
    [new Date(since.getTime() - 1000)],
  );
  if (rows.length > 0) return true;
  const tables = await adminQuery(target.databaseUrl!, `SELECT to_regclass($1) IS NOT NULL AS present`, [
    `${target.pgSchema}.audit_events`,
  ]);
  if (!tables.rows[0].present) return false;
  const events = await adminQuery(target.databaseUrl!, `SELECT EXISTS (SELECT 1 FROM ${target.pgSchema}.audit_events) AS any`);
  return events.rows[0].any as boolean;
}

describe('a restore killed mid-way', { timeout: 120_000 }, () => {
  it('leaves no row in any vault table, and the same restore then succeeds', async () => {
    const sourceDir = tempDir('fleetvault-killed-source-');
    const source = await buildTestApp({ reuse: { storage: sqliteStorage, dataDir: sourceDir } });
    const key = source.masterKeys[0]!;
    const facts = await populateVault(source);
    const auditKey = await auditKeyOf(source);
    await source.close({ keepData: true });
    seedAuditEvents(path.join(sourceDir, 'fleetvault.db'), facts.fleetId, auditKey, EVENTS);
    const work = tempDir('fleetvault-killed-');
    cleanup.push(async () => fs.rmSync(work, { recursive: true, force: true }));
    cleanup.push(async () => fs.rmSync(sourceDir, { recursive: true, force: true }));
    const file = path.join(work, 'vault.backup');
    const backup = await cli(['backup', '--out', file, '--json'], cliEnv(sqliteStorage, sourceDir, key));
    expect(backup.code, backup.stderr).toBe(0);
    const summary = JSON.parse(backup.stdout);
    expect(summary.counts.audit_events).toBeGreaterThan(EVENTS);

    const target = await createTestStorage();
    cleanup.push(() => target.drop());
    const targetDir = tempDir('fleetvault-killed-target-');
    cleanup.push(async () => fs.rmSync(targetDir, { recursive: true, force: true }));
    const env = cliEnv(target, targetDir, key);
    const spawned = new Date();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot(), 'src/cli.ts'), 'restore', '--in', file, '--json'], {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('close', (_code, signal) => resolve(signal)));

    // Bounded: at most 6 000 looks, 10 ms apart (a minute and more on a loaded machine).
    let caught = false;
    let tries = 0;
    for (; tries < 6_000 && child.exitCode === null && !caught; tries++) {
      caught = await loading(target, targetDir, spawned);
      if (!caught) await sleep(10);
    }
    expect(caught, `the restore was never seen loading rows (exit ${child.exitCode}, ${tries} looks):\n${output}`).toBe(true);
    expect(child.kill('SIGKILL')).toBe(true);
    expect(await exited).toBe('SIGKILL');
    expect(output, 'it had not finished').not.toContain('"ok":true');

    const left = await rowsIn(target, targetDir);
    // The migrations run in the restore's transaction too: whatever tables exist (none, here) hold no row.
    expect(left).toEqual(Object.fromEntries(Object.keys(left).map((table) => [table, 0])));

    const again = await cli(['restore', '--in', file, '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, restored: summary.counts });
    const head = summary.audit_heads[facts.fleetId];
    const verify = await cli(['audit', 'verify', '--fleet', facts.fleetId, '--expect-head', `${head.seq}:${head.hash}`], env);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    const restored = await openRestored(target, targetDir, key);
    try {
      await expectVaultRestored(restored, facts);
    } finally {
      await restored.close();
    }
  });
});
