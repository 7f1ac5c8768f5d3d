/**
 * `npm run bench`: load the app on loopback with autocannon and compare it with a bare Fastify
 * route, a raw encrypt+insert loop, PostgreSQL (when a URL is given) and a fleet of a million
 * credentials. Prints a table and writes bench/results.json. Settings from the environment:
 *
 *   BENCH_SECONDS=5          measured seconds per scenario (plus BENCH_WARMUP_SECONDS=1 discarded)
 *   BENCH_CONNECTIONS=10     concurrent connections (the -c1 and -c50 scenarios use 1 and 50)
 *   BENCH_PAIRS=1            bare-then-scenario pairs per scenario; with more, the row is the pair of median × bare
 *   BENCH_SCALE=1000000      rows of the large fleet; BENCH_QUICK=1 (or --quick) means 100000; 0 skips
 *   BENCH_SMALL_SCALE=1000   rows of the small fleet it is compared with
 *   BENCH_POOL=200           credentials of the main fleet (GET and PATCH cycle through them)
 *   BENCH_DATABASE_URL       PostgreSQL to compare with (else TEST_DATABASE_URL); a schema is created and dropped
 *   BENCH_PARTS=sqlite,postgres,scale,exchange   which parts to run (add `rekey`: data-key re-encryption, bench/rekey.ts)
 *   BENCH_SCENARIOS=get,list which app scenarios to run (default: all); one at a time with BENCH_PROFILE=1
 *                            gives a profile of that request alone (docs/performance.md)
 *   BENCH_EXCHANGE_REQUESTS=10000, BENCH_EXCHANGE_CONNECTIONS=50, BENCH_EXCHANGE_CREDENTIALS=20
 *                            the exchange part: cached brand token exchanges beside GET by id
 *   BENCH_REKEY_ROWS=100000  credentials the rekey part re-encrypts
 *   BENCH_LOG_LEVEL=warn     the app's log level, production's (it logs to /dev/null, as a shipper would read it)
 *   BENCH_SOURCE=1           run the server's TypeScript under tsx instead of the tsc build production runs
 *   BENCH_DATA_DIR           where the temporary SQLite files go (default: the OS temp dir)
 *   BENCH_PROFILE=1          V8 CPU profiles of the server processes (path printed at the end)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { type Measured, measure, type ServerProbe } from './load.js';
import type { Engine } from './protocol.js';
import { appScenarios, bareScenario, exchangeScenarios, listScenarios, type Scenario } from './scenarios.js';
import { startEmulator } from '../test/emulators/emulator.js';
import { smartcarEmulator } from '../test/emulators/smartcar.js';
import { COMMON_TERM, seedSqlite, sqliteCursorAt, sqliteListPlan, sqliteTimeListQuery } from './seed.js';
import { type RekeyBenchResult, runRekeyBench } from './rekey.js';
import { rawPgInsertLoop } from './raw-insert-pg.js';
import { profileDir, type ServerProcess, startServerProcess } from './server-process.js';

function numberSetting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a non-negative number, got ${raw}`);
  return value;
}

const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const settings = {
  seconds: numberSetting('BENCH_SECONDS', 5),
  warmupSeconds: numberSetting('BENCH_WARMUP_SECONDS', 1),
  connections: numberSetting('BENCH_CONNECTIONS', 10),
  pairs: Math.max(1, numberSetting('BENCH_PAIRS', 1)),
  scale: numberSetting('BENCH_SCALE', quick ? 100_000 : 1_000_000),
  smallScale: numberSetting('BENCH_SMALL_SCALE', 1000),
  poolSize: numberSetting('BENCH_POOL', 200),
  logLevel: process.env.BENCH_LOG_LEVEL || 'warn',
  parts: (process.env.BENCH_PARTS || 'sqlite,postgres,scale,exchange').split(',').map((s) => s.trim()),
  scenarios: process.env.BENCH_SCENARIOS ? process.env.BENCH_SCENARIOS.split(',').map((s) => s.trim()) : null,
  exchange: {
    requests: numberSetting('BENCH_EXCHANGE_REQUESTS', 10_000),
    connections: numberSetting('BENCH_EXCHANGE_CONNECTIONS', 50),
    credentials: numberSetting('BENCH_EXCHANGE_CREDENTIALS', 20),
  },
  postgres: Boolean(process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL),
};
const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
const selected = (scenarios: Scenario[]) => scenarios.filter((s) => settings.scenarios === null || settings.scenarios.includes(s.name));

interface ScenarioRecord extends Measured {
  engine: Engine | 'fastify';
  scenario: string;
  description: string;
  connections: number;
  /** Writes: the raw insert loop (the floor: no HTTP, no lock, no audit event) measured right before this scenario. */
  rawOpsPerSecond: number | null;
  /** req/s ÷ that raw loop's ops/s. */
  ratioToRaw: number | null;
  /** The bare route measured right before this scenario (see `record`); null for the baseline itself. */
  adjacentBareRps: number | null;
  /** req/s ÷ the adjacent bare run's req/s. */
  ratioToBare: number | null;
  /** Bare CPU per request ÷ this scenario's (adjacent pair): the throughput ratio a quiet, CPU-bound server would show. */
  cpuRatioToBare: number | null;
  /** With BENCH_PAIRS > 1: every pair's × bare, in the order run; the row's other figures are the median pair's. */
  pairRatiosToBare?: number[];
  startedAt: string;
}

interface ScaleRecord extends Measured {
  rows: number;
  /** `alone`: small fleet before the large one exists; `beside-large`: small fleet measured right before the large one. */
  phase: 'alone' | 'beside-large' | 'large';
  scenario: string;
  description: string;
  startedAt: string;
}

const results = {
  startedAt: new Date().toISOString(),
  finishedAt: '',
  machine: machineInfo(),
  settings: { ...settings, postgresUrl: pgUrl?.replace(/\/\/[^@/]*@/, '//***@') },
  scenarios: [] as ScenarioRecord[],
  rekey: null as null | RekeyBenchResult,
  rawInsert: null as null | { ops: number; seconds: number; opsPerSecond: number; startedAt: string },
  /** Every raw loop run, each right before the write scenario it is compared with. */
  rawLoops: [] as { engine: Engine; before: string; ops: number; seconds: number; opsPerSecond: number; startedAt: string }[],
  postVsRaw: null as null | number,
  scale: null as null | {
    engine: Engine;
    small: number;
    large: number;
    seedSeconds: Record<string, number>;
    plan: string[];
    /** The list page's SQL timed alone (no HTTP), per fleet size and page. */
    sqlTimes: { rows: number; page: string; medianUs: number; p99Us: number }[];
    pages: ScaleRecord[];
    rssAfterLargeBytes: number;
    /** Server memory before the scale part, after the small fleet's pages, after the large fleet's. */
    memory: Record<string, NodeJS.MemoryUsage & { afterGc: NodeJS.MemoryUsage }>;
    sqliteFileBytes: number;
  },
  exchange: null as null | {
    requests: number;
    connections: number;
    credentials: number;
    /** Calls the brand emulator received over the whole part (warm-up included). */
    upstreamCalls: number;
    /** GET by id right before and right after the exchange run (same server process). */
    getBefore: Measured;
    exchange: Measured;
    getAfter: Measured;
    /** exchange req/s ÷ the mean of the two GET runs. */
    ratioToGet: number;
    startedAt: string;
  },
  targets: [] as { target: string; value: number | null; threshold: string; met: boolean | null; note?: string }[],
  skipped: [] as string[],
};

function machineInfo() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    /** 1, 5 and 15 min load averages at the start: other work on the machine skews every figure. */
    loadAverageAtStart: os.loadavg(),
    sqlite: (() => {
      const db = new SQLite(':memory:');
      try {
        return (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
      } finally {
        db.close();
      }
    })(),
    postgres: null as string | null,
    dataDir: '',
    dataDirFilesystem: '',
  };
}

const fsTypes: Record<number, string> = {
  0xef53: 'ext4',
  0x01021994: 'tmpfs',
  0x794c7630: 'overlayfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x65735546: 'fuse',
  0x2fc12fc1: 'zfs',
};

const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

async function run(scenario: Scenario, probe: ServerProbe): Promise<Measured> {
  return measure(
    {
      url: scenario.url,
      connections: scenario.connections ?? settings.connections,
      seconds: settings.seconds,
      warmupSeconds: settings.warmupSeconds,
      requests: scenario.requests,
      ...(scenario.headers && { headers: scenario.headers }),
    },
    probe,
  );
}

let bare: Measured | undefined;

/**
 * Measures a scenario. With `adjacentBare`, the bare route is measured again right before it
 * (shorter), and the ratios use that pair: other load on the machine drifts over minutes, so a
 * ratio between two runs seconds apart is far steadier than one against the first baseline. With
 * BENCH_PAIRS > 1 the pair is run that many times, alternated, and the row is the pair whose
 * `× bare` is the median: on a shared 2-core machine the bare route alone swings by 2× between runs
 * seconds apart (the load generator shares the cores), and one pair can land on either end.
 */
async function record(
  engine: ScenarioRecord['engine'],
  scenario: Scenario,
  server: ServerProbe,
  adjacentBare?: Scenario,
  raw?: () => Promise<{ ops: number; seconds: number; opsPerSecond: number }>,
): Promise<ScenarioRecord> {
  const connections = scenario.connections ?? settings.connections;
  let rawOpsPerSecond: number | null = null;
  const pairs: { reference: Measured | undefined; result: Measured; startedAt: string }[] = [];
  for (let pair = 0; pair < (adjacentBare ? settings.pairs : 1); pair++) {
    let reference = bare;
    if (adjacentBare) {
      reference = await measure(
        {
          url: adjacentBare.url,
          connections,
          seconds: Math.max(1, settings.seconds / 2),
          warmupSeconds: Math.min(settings.warmupSeconds, 0.5),
          requests: adjacentBare.requests,
        },
        server,
      );
    }
    if (pair === 0 && scenario.write && raw && engine !== 'fastify') {
      log(`${engine} raw insert loop before ${scenario.name}`);
      const startedAt = new Date().toISOString();
      const loop = await raw();
      results.rawLoops.push({ engine, before: scenario.name, ...loop, startedAt });
      if (engine === 'sqlite' && scenario.name === 'post') results.rawInsert = { ...loop, startedAt };
      rawOpsPerSecond = loop.opsPerSecond;
    }
    log(`${engine} ${scenario.name}: ${scenario.description}${settings.pairs > 1 && adjacentBare ? ` (pair ${pair + 1})` : ''}`);
    const startedAt = new Date().toISOString();
    pairs.push({ reference, result: await run(scenario, server), startedAt });
  }
  const ratioOf = (pair: (typeof pairs)[number]) => (pair.reference === undefined ? 0 : pair.result.rps / pair.reference.rps);
  const { reference, result, startedAt } = [...pairs].sort((a, b) => ratioOf(a) - ratioOf(b))[Math.floor(pairs.length / 2)]!;
  if (scenario.name === 'bare') bare = result;
  const row: ScenarioRecord = {
    engine,
    scenario: scenario.name,
    description: scenario.description,
    connections,
    rawOpsPerSecond,
    ratioToRaw: rawOpsPerSecond ? result.rps / rawOpsPerSecond : null,
    ...result,
    adjacentBareRps: adjacentBare ? (reference?.rps ?? null) : null,
    ratioToBare: reference === undefined ? null : result.rps / reference.rps,
    cpuRatioToBare:
      reference?.serverCpuUsPerRequest && result.serverCpuUsPerRequest
        ? reference.serverCpuUsPerRequest / result.serverCpuUsPerRequest
        : null,
    ...(pairs.length > 1 && { pairRatiosToBare: pairs.map(ratioOf) }),
    startedAt,
  };
  if (result.errors > 0) log(`  ${result.errors} errors: ${JSON.stringify(result.statusCodes)}`);
  results.scenarios.push(row);
  return row;
}

async function pgAdmin(text: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    return await client.query(text);
  } finally {
    await client.end();
  }
}

async function main() {
  const dataRoot = fs.mkdtempSync(path.join(process.env.BENCH_DATA_DIR || os.tmpdir(), 'fleetvault-bench-'));
  results.machine.dataDir = dataRoot;
  const fsType = fs.statfsSync(dataRoot).type;
  results.machine.dataDirFilesystem = fsTypes[fsType] ?? `0x${fsType.toString(16)}`;
  log(
    `node ${process.version}, ${results.machine.cpus} × ${results.machine.cpuModel}; data in ${dataRoot} ` +
      `(${results.machine.dataDirFilesystem})`,
  );
  log(`${settings.seconds} s per scenario after ${settings.warmupSeconds} s warm-up, ${settings.connections} connections`);

  const servers: ServerProcess[] = [];
  let pgSchema: string | undefined;
  try {
    // 1. SQLite: baseline, the API scenarios, the raw encrypt+insert loop beside POST.
    const sqlite = await startServerProcess({
      engine: 'sqlite',
      dataDir: path.join(dataRoot, 'sqlite'),
      logLevel: settings.logLevel,
      poolSize: settings.poolSize,
    });
    servers.push(sqlite);
    await record('fastify', bareScenario(sqlite.started), sqlite);
    if (settings.parts.includes('sqlite')) {
      // The raw loop (synchronous=FULL, one transaction per row) right before each write scenario.
      const raw = () => sqlite.raw(settings.seconds);
      for (const scenario of selected(appScenarios(sqlite.started))) {
        const row = await record('sqlite', scenario, sqlite, bareScenario(sqlite.started), raw);
        if (scenario.name === 'post') results.postVsRaw = row.ratioToRaw;
      }
    } else results.skipped.push('sqlite scenarios (BENCH_PARTS)');

    // 2. PostgreSQL: the same scenarios on a schema of our own.
    if (settings.parts.includes('postgres') && pgUrl) {
      pgSchema = `fv_bench_${randomBytes(6).toString('hex')}`;
      results.machine.postgres = (await pgAdmin('SHOW server_version')).rows[0]?.server_version ?? null;
      await pgAdmin(`CREATE SCHEMA ${pgSchema}`);
      const postgres = await startServerProcess({
        engine: 'postgres',
        dataDir: path.join(dataRoot, 'postgres'),
        databaseUrl: pgUrl,
        pgSchema,
        pgPoolSize: 10,
        logLevel: settings.logLevel,
        poolSize: settings.poolSize,
      });
      servers.push(postgres);
      // The raw loop from as many clients as the app's pool has, right before each write scenario.
      const schema = pgSchema;
      const raw = () => rawPgInsertLoop(pgUrl, schema, settings.seconds, 10);
      for (const scenario of selected(appScenarios(postgres.started)))
        await record('postgres', scenario, postgres, bareScenario(postgres.started), raw);
      await postgres.close();
    } else {
      results.skipped.push(pgUrl ? 'postgres (BENCH_PARTS)' : 'postgres: set BENCH_DATABASE_URL or TEST_DATABASE_URL');
    }

    // 3. Scale: list pages of a small fleet, then of a large one, in the same SQLite database.
    if (settings.parts.includes('scale') && settings.scale > 0) {
      await runScale(sqlite);
    } else results.skipped.push('scale (BENCH_SCALE=0 or BENCH_PARTS)');

    // 4. Brand token exchange: cached exchanges against GET by id, upstream calls counted.
    if (settings.parts.includes('exchange')) await runExchange(path.join(dataRoot, 'exchange'), servers);
    else results.skipped.push('exchange (BENCH_PARTS)');
    // 5. Rekey: keys rotate-data-key over a large fleet while GETs go on.
    if (settings.parts.includes('rekey')) {
      const rekey = await runRekeyBench(path.join(dataRoot, 'rekey'), {
        rows: numberSetting('BENCH_REKEY_ROWS', 100_000),
        connections: settings.connections,
        seconds: settings.seconds,
        log,
      });
      results.rekey = rekey;
      const during = rekey.during.map((w) => w.p99Ms.toFixed(1)).join(', ');
      log(
        `rekey: ${rekey.rows} rows in ${rekey.rekeySeconds.toFixed(1)} s = ${Math.round(rekey.rowsPerSecond)} rows/s; ` +
          `GET p99 idle ${rekey.idle.p99Ms.toFixed(1)} ms, during [${during}] ms: worst ${rekey.p99Ratio.toFixed(2)}x idle (goal <= 2x)`,
      );
    } else results.skipped.push('rekey (BENCH_PARTS)');
  } finally {
    for (const server of servers) await server.close().catch(() => {});
    if (pgSchema)
      await pgAdmin(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`).catch((e: Error) => log(`could not drop ${pgSchema}: ${e.message}`));
    if (!process.env.BENCH_KEEP_DATA) fs.rmSync(dataRoot, { recursive: true, force: true });
  }

  results.finishedAt = new Date().toISOString();
  evaluateTargets();
  printReport();
  const out = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json');
  fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nwritten: ${path.relative(process.cwd(), out)}`);
}

async function runExchange(dataDir: string, servers: ServerProcess[]) {
  const { requests, connections, credentials } = settings.exchange;
  const emulator = await startEmulator(smartcarEmulator);
  for (let i = 0; i < credentials; i++) emulator.accounts.set(`bench-smartcar-${i}`, 'bench-secret');
  try {
    const server = await startServerProcess({
      engine: 'sqlite',
      dataDir,
      logLevel: settings.logLevel,
      poolSize: settings.poolSize,
      // The bench server runs with NODE_ENV=production, which refuses an http: brand URL unless told otherwise.
      env: { [emulator.envName]: emulator.url, FLEETVAULT_ALLOW_HTTP_BRAND_URLS: 'true' },
      exchangePool: credentials,
    });
    servers.push(server);
    const [get, exchange] = exchangeScenarios(server.started) as [Scenario, Scenario];
    const fixed = (scenario: Scenario) => {
      log(`exchange part: ${scenario.name}: ${requests} requests over ${connections} connections (${scenario.description})`);
      return measure(
        {
          url: scenario.url,
          connections,
          seconds: settings.seconds,
          warmupSeconds: settings.warmupSeconds,
          amount: requests,
          requests: scenario.requests,
          ...(scenario.headers && { headers: scenario.headers }),
        },
        server,
      );
    };
    const startedAt = new Date().toISOString();
    const getBefore = await fixed(get);
    const exchanged = await fixed(exchange);
    const getAfter = await fixed(get);
    for (const [name, r] of [
      ['get', getBefore],
      ['exchange', exchanged],
    ] as const) {
      if (r.errors > 0) log(`  ${name}: ${r.errors} errors: ${JSON.stringify(r.statusCodes)}`);
    }
    results.exchange = {
      requests,
      connections,
      credentials,
      upstreamCalls: emulator.calls,
      getBefore,
      exchange: exchanged,
      getAfter,
      ratioToGet: exchanged.rps / ((getBefore.rps + getAfter.rps) / 2),
      startedAt,
    };
    await server.close();
  } finally {
    await emulator.close();
  }
}

async function runScale(sqlite: ServerProcess) {
  const file = sqlite.started.sqliteFile;
  if (file === undefined) throw new Error('scale: the SQLite server did not report its file');
  const pages: ScaleRecord[] = [];
  const seedSeconds: Record<string, number> = {};
  let plan: string[] = [];
  const memory: Record<string, NodeJS.MemoryUsage & { afterGc: NodeJS.MemoryUsage }> = { before: await sqlite.memory() };
  const fleets: Record<number, Scenario[]> = {};
  const sqlTimes: { rows: number; page: string; medianUs: number; p99Us: number }[] = [];
  const measurePages = async (rows: number, phase: ScaleRecord['phase']) => {
    for (const scenario of fleets[rows]!) {
      log(`scale ${rows} (${phase}): ${scenario.name} (${scenario.description})`);
      const startedAt = new Date().toISOString();
      const result = await run(scenario, sqlite);
      if (result.errors > 0) log(`  ${result.errors} errors: ${JSON.stringify(result.statusCodes)}`);
      pages.push({ rows, phase, scenario: scenario.name, description: scenario.description, ...result, startedAt });
    }
  };
  for (const rows of [settings.smallScale, settings.scale]) {
    const fleet = await sqlite.fleet(`scale ${rows}`);
    log(`scale: seeding ${rows} credentials into one fleet`);
    const seeded = seedSqlite(file, fleet.fleetId, fleet.templateId, rows - 1);
    seedSeconds[String(rows)] = seeded.seconds;
    log(`scale: seeded in ${seeded.seconds.toFixed(1)} s`);
    const middle = sqliteCursorAt(file, fleet.fleetId, Math.floor(rows / 2));
    plan = sqliteListPlan(file, fleet.fleetId);
    fleets[rows] = listScenarios(sqlite.started.appUrl, fleet.token, middle.cursor, COMMON_TERM);
    sqlTimes.push(
      { rows, page: 'first', ...sqliteTimeListQuery(file, fleet.fleetId, [-1, '', '']) },
      { rows, page: 'deep', ...sqliteTimeListQuery(file, fleet.fleetId, middle.key) },
    );
    if (rows === settings.smallScale) {
      // The small fleet alone in the database, then again right before the large one: the second
      // pair runs back to back, so load from elsewhere on the machine skews both alike.
      await measurePages(rows, 'alone');
      memory[`after${rows}`] = await sqlite.memory();
    } else {
      await measurePages(settings.smallScale, 'beside-large');
      await measurePages(rows, 'large');
      memory[`after${rows}`] = await sqlite.memory();
    }
  }
  const after = memory[`after${settings.scale}`]!;
  const sqliteFileBytes = ['', '-wal'].reduce((sum, suffix) => sum + (fs.statSync(file + suffix, { throwIfNoEntry: false })?.size ?? 0), 0);
  results.scale = {
    engine: 'sqlite',
    small: settings.smallScale,
    large: settings.scale,
    seedSeconds,
    plan,
    sqlTimes,
    pages,
    rssAfterLargeBytes: after.rss,
    memory,
    sqliteFileBytes,
  };
}

function find(engine: string, scenario: string) {
  return results.scenarios.find((r) => r.engine === engine && r.scenario === scenario);
}

function evaluateTargets() {
  const t = results.targets;
  const get = find('sqlite', 'get');
  // The targets table: each ratio from adjacent runs of one bench run (bare right before, or the raw loop right before).
  const vsBare = (scenario: string, label: string, goal: number) => {
    const row = find('sqlite', scenario);
    if (!row) return;
    t.push({
      target: `SQLite ${label} ÷ bare route (adjacent runs)`,
      value: row.ratioToBare,
      threshold: `≥ ${goal.toFixed(2)}`,
      met: row.ratioToBare === null ? null : row.ratioToBare >= goal,
    });
    t.push({
      target: `  the same, by server CPU per request (${fmt(row.serverCpuUsPerRequest, 0)} µs)`,
      value: row.cpuRatioToBare,
      threshold: `≥ ${goal.toFixed(2)}`,
      met: null,
      note: 'informational: less sensitive to other load',
    });
  };
  // The second round's targets (docs/performance.md, "Targets"). The first round asked 0.40 / 0.12 / 0.25 and a
  // POST at 1.0 × the raw loop; none was met, and these are the steps its measurements showed to be within reach.
  vsBare('get', 'GET one credential', 0.25);
  vsBare('list', 'list, first page of 50', 0.05);
  vsBare('token', 'token, client credentials (an audit event each)', 0.12);
  for (const [engine, scenario, label, goal] of [
    ['sqlite', 'post-c50', 'SQLite POST (durable) at 50 connections', 0.6],
    ['sqlite', 'patch-c50', 'SQLite PATCH (durable) at 50 connections', 0.6],
    ['postgres', 'post', 'PostgreSQL POST', 0.3],
    ['postgres', 'post-c50', 'PostgreSQL POST at 50 connections', 0.3],
  ] as const) {
    const row = find(engine, scenario);
    if (!row) continue;
    const floor = engine === 'sqlite' ? 'the raw encrypt+insert loop' : 'a raw PostgreSQL insert loop (10 clients)';
    t.push({
      target: `${label} ÷ ${floor}, adjacent`,
      value: row.ratioToRaw,
      threshold: `≥ ${goal.toFixed(2)}`,
      met: row.ratioToRaw === null ? null : row.ratioToRaw >= goal,
    });
  }
  for (const engine of ['sqlite', 'postgres'] as const) {
    const row = find(engine, 'post-c1');
    if (row) {
      t.push({
        target: `${engine} POST at 1 connection, p50 ms (must not grow > 1 ms with group commit; compare runs)`,
        value: row.p50Ms,
        threshold: 'Δ ≤ 1 ms',
        met: null,
        note: `p99 ${fmt(row.p99Ms)} ms; compare with the run before the change`,
      });
    }
  }
  if (results.postVsRaw !== null) {
    t.push({
      target: 'SQLite POST create (10 connections) ÷ raw encrypt+insert loop',
      value: results.postVsRaw,
      threshold: '≥ 0.80',
      met: results.postVsRaw >= 0.8,
    });
  }
  if (results.scale) {
    const { pages, small, large } = results.scale;
    for (const scenario of ['list-first', 'list-deep', 'list-q']) {
      const b = pages.find((p) => p.phase === 'large' && p.scenario === scenario);
      for (const phase of ['beside-large', 'alone'] as const) {
        const a = pages.find((p) => p.phase === phase && p.scenario === scenario);
        if (!a || !b) continue;
        const ratio = b.p99Ms / a.p99Ms;
        const informational = scenario === 'list-q' || phase === 'alone';
        t.push({
          target:
            `${scenario} p99 at ${large} ÷ at ${small} ` +
            `(${phase === 'alone' ? 'small fleet measured alone, earlier' : 'back to back'})`,
          value: ratio,
          threshold: '≤ 1.5',
          met: informational ? null : ratio <= 1.5,
          ...(informational && {
            note:
              scenario === 'list-q'
                ? 'informational: a substring search scans until 51 matches'
                : 'informational: minutes apart, other load differs',
          }),
        });
      }
    }
    for (const scenario of ['list-first', 'list-deep']) {
      const a = pages.find((p) => p.phase === 'beside-large' && p.scenario === scenario);
      const b = pages.find((p) => p.phase === 'large' && p.scenario === scenario);
      if (a?.serverCpuUsPerRequest && b?.serverCpuUsPerRequest) {
        t.push({
          target: `${scenario} server CPU per request at ${large} ÷ at ${small}`,
          value: b.serverCpuUsPerRequest / a.serverCpuUsPerRequest,
          threshold: '≤ 1.5',
          met: null,
          note: 'informational: less sensitive to other load',
        });
      }
    }
    for (const page of ['first', 'deep']) {
      const a = results.scale.sqlTimes.find((q) => q.rows === small && q.page === page);
      const b = results.scale.sqlTimes.find((q) => q.rows === large && q.page === page);
      if (a && b) {
        t.push({
          target: `list SQL alone, ${page} page, median at ${large} ÷ at ${small}`,
          value: b.medianUs / a.medianUs,
          threshold: '≤ 1.5',
          met: null,
          note: 'informational: the query without HTTP',
        });
      }
    }
    const rssMb = results.scale.rssAfterLargeBytes / 2 ** 20;
    t.push({ target: `server RSS after the ${large} scenario (MiB)`, value: rssMb, threshold: '< 300', met: rssMb < 300 });
  }
  if (results.exchange) {
    const e = results.exchange;
    const target = 'cached exchange ÷ GET by id (same server, mean of the GET runs around it)';
    t.push({ target, value: e.ratioToGet, threshold: '≥ 0.5', met: e.ratioToGet >= 0.5 });
    t.push({
      target: `upstream calls for ${e.requests} exchanges (+ warm-up) over ${e.credentials} credentials`,
      value: e.upstreamCalls,
      threshold: `≤ ${e.credentials}`,
      met: e.upstreamCalls <= e.credentials && e.exchange.errors === 0,
    });
  }
  const pgGet = find('postgres', 'get');
  if (pgGet && get) {
    t.push({ target: 'PostgreSQL GET ÷ SQLite GET', value: pgGet.rps / get.rps, threshold: '≥ 0.5', met: pgGet.rps / get.rps >= 0.5 });
    if (pgGet.ratioToBare !== null && get.ratioToBare !== null) {
      t.push({
        target: 'the same, each first divided by its adjacent bare run',
        value: pgGet.ratioToBare / get.ratioToBare,
        threshold: '≥ 0.5',
        met: null,
        note: 'informational: less sensitive to other load',
      });
    }
  }
  const pgPost = find('postgres', 'post');
  const sqlitePost = find('sqlite', 'post');
  if (pgPost && sqlitePost)
    t.push({
      target: 'PostgreSQL POST ÷ SQLite POST',
      value: pgPost.rps / sqlitePost.rps,
      threshold: '—',
      met: null,
      note: 'informational',
    });
}

const fmt = (n: number | null | undefined, digits = 2) => (n === null || n === undefined || Number.isNaN(n) ? '—' : n.toFixed(digits));

/** A plain-text table; the first `leftColumns` columns are labels (left-aligned), the rest figures. */
function table(headers: string[], rows: string[][], leftColumns = 2): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function printReport() {
  const m = results.machine;
  console.log(`\nfleetvault benchmark, ${results.startedAt} → ${results.finishedAt}`);
  console.log(
    `node ${m.node}, ${m.cpus} × ${m.cpuModel}, SQLite ${m.sqlite}${m.postgres ? `, PostgreSQL ${m.postgres}` : ''}, data on ` +
      `${m.dataDirFilesystem}`,
  );
  console.log(
    `${settings.connections} connections, ${settings.seconds} s per scenario (+${settings.warmupSeconds} s warm-up), app log ` +
      `level ${settings.logLevel}\n`,
  );
  console.log(
    table(
      [
        'engine',
        'scenario',
        'conns',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors',
        'bare req/s',
        '× bare',
        'cpu µs/req',
        'cpu × bare',
        'raw ops/s',
        '× raw',
        'load',
      ],
      results.scenarios.map((r) => [
        r.engine,
        r.scenario,
        String(r.connections),
        fmt(r.rps, 0),
        fmt(r.p50Ms),
        fmt(r.p99Ms),
        String(r.errors),
        fmt(r.adjacentBareRps ?? r.rps, 0),
        fmt(r.ratioToBare),
        fmt(r.serverCpuUsPerRequest, 0),
        fmt(r.cpuRatioToBare),
        fmt(r.rawOpsPerSecond, 0),
        fmt(r.ratioToRaw),
        fmt(r.loadAverage, 1),
      ]),
      3,
    ),
  );
  if (results.rawInsert) {
    console.log(
      `\nraw encrypt + insert loop (SQLite, synchronous=FULL): ${fmt(results.rawInsert.opsPerSecond, 0)} ops/s; POST ÷ raw = ` +
        `${fmt(results.postVsRaw)}`,
    );
  }
  console.log(
    'raw loops are the floor: no HTTP, no validation, no per-fleet lock and no audit event (every app write also writes one, ' +
      'same transaction)',
  );
  const paired = results.scenarios.filter((r) => r.pairRatiosToBare !== undefined);
  if (paired.length > 0) {
    console.log(`× bare of each pair (${settings.pairs} pairs, alternated; each row above is the median pair):`);
    for (const r of paired) console.log(`  ${r.engine} ${r.scenario}: ${r.pairRatiosToBare!.map((x) => fmt(x)).join(' ')}`);
  }
  if (results.scale) {
    const s = results.scale;
    console.log(`\nscale (SQLite): list pages of a fleet of ${s.small} vs ${s.large} credentials`);
    console.log(
      table(
        ['rows', 'scenario', 'phase', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'cpu µs/req', 'load'],
        s.pages.map((p) => [
          String(p.rows),
          p.scenario,
          p.phase,
          fmt(p.rps, 0),
          fmt(p.p50Ms),
          fmt(p.p99Ms),
          String(p.errors),
          fmt(p.serverCpuUsPerRequest, 0),
          fmt(p.loadAverage, 1),
        ]),
        3,
      ),
    );
    console.log(`query plan: ${s.plan.join(' | ')}`);
    console.log(
      `list SQL alone (better-sqlite3, no HTTP): ` +
        `${s.sqlTimes.map((q) => `${q.rows} ${q.page} median ${fmt(q.medianUs, 0)} µs p99 ${fmt(q.p99Us, 0)} µs`).join('; ')}`,
    );
    const mib = (n: number | undefined) => fmt((n ?? NaN) / 2 ** 20, 0);
    const after = s.memory[`after${s.large}`]!;
    console.log(
      `server RSS after the ${s.large} scenario: ${mib(after.rss)} MiB (heap used ${mib(after.heapUsed)} MiB; after a full GC: ` +
        `RSS ${mib(after.afterGc.rss)}, heap ${mib(after.afterGc.heapUsed)}); ` +
        `before the scale part: ${mib(s.memory.before?.rss)} MiB; database ${mib(s.sqliteFileBytes)} MiB`,
    );
  }
  if (results.exchange) {
    const e = results.exchange;
    console.log(
      `\nbrand token exchange (SQLite, smartcar emulator): ${e.requests} requests per run, ` +
        `${e.connections} connections, ${e.credentials} credentials`,
    );
    console.log(
      table(
        ['run', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'cpu µs/req'],
        (
          [
            ['get (before)', e.getBefore],
            ['exchange (cached)', e.exchange],
            ['get (after)', e.getAfter],
          ] as const
        ).map(([name, r]) => [name, fmt(r.rps, 0), fmt(r.p50Ms), fmt(r.p99Ms), String(r.errors), fmt(r.serverCpuUsPerRequest, 0)]),
        1,
      ),
    );
    console.log(`upstream calls received by the emulator: ${e.upstreamCalls}; exchange ÷ GET = ${fmt(e.ratioToGet)}`);
  }
  console.log('\ntargets');
  console.log(
    table(
      ['target', 'threshold', 'value', 'met'],
      results.targets.map((t) => [t.target, t.threshold, fmt(t.value), t.met === null ? (t.note ?? '—') : t.met ? 'met' : 'NOT MET']),
    ),
  );
  for (const skipped of results.skipped) console.log(`skipped: ${skipped}`);
  if (process.env.BENCH_PROFILE === '1') console.log(`CPU profiles of the server processes: ${profileDir}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
