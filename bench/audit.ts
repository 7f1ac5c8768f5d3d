/**
 * `npm run bench:audit`: what the audit trail costs and how fast a chain verifies.
 *
 *   1. Durable creates through the real store (seal, then one SQLite transaction with
 *      synchronous=FULL), without and with the `credential.created` event in the same
 *      transaction, alternating runs of BENCH_SECONDS each: the cost of fail-closed auditing.
 *   2. `audit verify` of one fleet chain of BENCH_AUDIT_EVENTS events (default 1 000 000),
 *      written straight into the table with their real hashes.
 * Prints a table and writes bench/audit-results.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { cliFleetlessContext } from '../src/core/context.js';
import { createDeps, type Deps } from '../src/deps.js';
import { auditKeyOf, seedAuditEvents } from '../test/helpers/seed-audit-events.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const events = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
const dir = fs.mkdtempSync(path.join(process.env.BENCH_DATA_DIR || os.tmpdir(), 'fleetvault-bench-audit-'));

async function createLoop(deps: Deps, fleetId: string, audited: boolean): Promise<number> {
  const { store, keyring, ids, clock, services } = deps;
  let ops = 0;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const id = ids.next();
    const now = clock.now().toISOString();
    const { sealed, dataKeyId } = await keyring.sealSecrets(store.repos.dataKeys, fleetId, id, 1, { client_secret: `secret-${ops}` });
    const row = {
      id,
      fleet_id: fleetId,
      brand: 'niu',
      name: null,
      name_key: '',
      name_missing: 1,
      fields: JSON.stringify({ client_id: `client-${ops}` }),
      sealed_secrets: sealed,
      data_key_id: dataKeyId,
      secret_version: 1,
      created_at: now,
      updated_at: now,
      secret_updated_at: now,
      secret_created_by: '{"type":"cli","id":"bench"}',
      status: 'unknown' as const,
      status_checked_at: null,
    };
    await store.transaction(async (repos) => {
      await repos.credentials.insert(row);
      if (audited) {
        await services.audit.append(repos, {
          fleetId,
          actor: { type: 'cli', id: 'bench' },
          action: 'credential.created',
          target: { type: 'credential', id, brand: 'niu' },
          requestId: null,
          details: { secret_version: 1 },
        });
      }
    });
    ops++;
  }
  return ops / seconds;
}

async function main() {
  const key = randomBytes(32);
  const config = loadConfig({ FLEETVAULT_DATA_DIR: dir, LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  const deps = await createDeps(config, { masterKeys: [{ id: 'bench', key }] });
  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    cpus: os.cpus().length,
    loadavg: os.loadavg(),
    seconds,
    events,
  };
  try {
    const fleet = await deps.services.fleets.create(cliFleetlessContext, 'bench');
    const plain: number[] = [];
    const audited: number[] = [];
    for (let round = 0; round < 2; round++) {
      plain.push(await createLoop(deps, fleet.id, false));
      audited.push(await createLoop(deps, fleet.id, true));
    }
    const best = (list: number[]) => Math.max(...list);
    results.createsPerSecond = {
      withoutAudit: best(plain),
      withAudit: best(audited),
      ratio: best(audited) / best(plain),
      runs: { plain, audited },
    };

    const chainFleet = await deps.services.fleets.create(cliFleetlessContext, 'long chain');
    // The vault's own audit key (it exists: createDeps made it), so the written chain is authentic.
    const auditKey = await auditKeyOf({ deps });
    await deps.close();
    const file = path.join(dir, 'fleetvault.db');
    const written = Date.now();
    seedAuditEvents(file, chainFleet.id, auditKey, events);
    const reopened = await createDeps(config, { masterKeys: [{ id: 'bench', key }] });
    const writeSeconds = (Date.now() - written) / 1000;
    const started = process.hrtime.bigint();
    const [report] = await reopened.services.audit.verify({ fleetId: chainFleet.id });
    const verifySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (report?.problem !== undefined || report?.events !== events) throw new Error(`verify failed: ${JSON.stringify(report)}`);
    results.verify = { events, seconds: verifySeconds, eventsPerSecond: events / verifySeconds, writeSeconds };
    await reopened.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  results.finishedAt = new Date().toISOString();
  fs.writeFileSync(path.join(import.meta.dirname, 'audit-results.json'), JSON.stringify(results, null, 2) + '\n');
  const c = results.createsPerSecond as { withoutAudit: number; withAudit: number; ratio: number };
  const v = results.verify as { seconds: number; eventsPerSecond: number };
  process.stdout.write(
    [
      `durable creates/s without the audit event: ${c.withoutAudit.toFixed(0)}`,
      `durable creates/s with the audit event:    ${c.withAudit.toFixed(0)}  (${c.ratio.toFixed(2)} x; events written/s = creates/s)`,
      `audit verify of ${events} events: ${v.seconds.toFixed(1)} s (${v.eventsPerSecond.toFixed(0)} events/s)`,
      `machine: ${os.cpus().length} cores, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    ].join('\n') + '\n',
  );
}

await main();
