/**
 * Where a PostgreSQL POST /{brand}/credentials spends its time, statement by statement: runs the app
 * in-process on a schema of its own, sends POSTs through app.inject at a given concurrency and times
 * every round trip node-postgres makes (from the query call to its answer, so a statement waiting
 * for a row lock shows the wait). Also reports how long each transaction held the audit chain head
 * (from the head upsert answering to COMMIT answering) and the process CPU per request.
 *
 *   TEST_DATABASE_URL=postgres://… npx tsx bench/pg-post-trace.ts [requests=2000] [concurrency=1,10] [brand=niu]
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps } from '../src/deps.js';
import { cliContext, cliFleetlessContext } from '../src/core/context.js';

const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
if (!url) throw new Error('set TEST_DATABASE_URL');
const requests = Number(process.argv[2] ?? 2000);
const concurrencies = (process.argv[3] ?? '1,10').split(',').map(Number);
const brand = process.argv[4] ?? 'niu';

interface Timing {
  count: number;
  totalUs: number;
}
const timings = new Map<string, Timing>();
const headTakenAt = new WeakMap<object, bigint>();
const holds: number[] = [];

const shape = (text: string) =>
  text
    .replace(/\s+/g, ' ')
    .replace(/\$\d+(, \$\d+)*/g, '…')
    .slice(0, 90);

// Wraps every round trip of node-postgres (promise form, as kysely uses it).
const originalQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => Promise<unknown>;
(pg.Client.prototype as unknown as { query: unknown }).query = async function (this: pg.Client, ...args: unknown[]) {
  const config = args[0] as string | { text: string };
  const text = typeof config === 'string' ? config : config.text;
  const started = process.hrtime.bigint();
  const key = shape(text);
  try {
    return await originalQuery.apply(this, args);
  } finally {
    const ended = process.hrtime.bigint();
    if (key.startsWith('insert into "audit_heads"')) headTakenAt.set(this, ended);
    const t = timings.get(key) ?? { count: 0, totalUs: 0 };
    t.count++;
    t.totalUs += Number(ended - started) / 1000;
    timings.set(key, t);
    if (/^(commit|rollback)/i.test(key)) {
      const taken = headTakenAt.get(this);
      if (taken !== undefined) holds.push(Number(ended - taken) / 1000);
      headTakenAt.delete(this);
    }
  }
};

const schema = `fv_trace_${randomBytes(6).toString('hex')}`;
const admin = new pg.Client({ connectionString: url });
await admin.connect();
await admin.query(`CREATE SCHEMA ${schema}`);
try {
  const config = loadConfig({
    NODE_ENV: 'production',
    FLEETVAULT_DATA_DIR: `/tmp/${schema}`,
    FLEETVAULT_MASTER_KEYS: `trace:${randomBytes(32).toString('base64')}`,
    LOG_LEVEL: 'silent',
    DATABASE_URL: url,
    FLEETVAULT_RATE_LIMIT_MAX: '10000000',
    FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '10000000',
  });
  const deps = await createDeps(config, { database: { pgSchema: schema, pgPoolSize: 10 } });
  const app = await buildApp(deps, { logger: false });
  const fleet = await deps.services.fleets.create(cliFleetlessContext, 'trace fleet');
  const client = await deps.services.clients.createSecretClient(cliContext(fleet.id), 'trace', ['credentials:read', 'credentials:write']);
  const tokenRes = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  const token = tokenRes.json<{ access_token: string }>().access_token;
  let n = 0;
  const post = async () => {
    const i = n++;
    const res = await app.inject({
      method: 'POST',
      url: `/${brand}/credentials`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      payload:
        brand === 'niu'
          ? { name: `Trace ${i}`, client_id: `c-${i}`, client_secret: randomBytes(18).toString('base64url') }
          : { name: `Trace ${i}`, client_id: `c-${i}`, client_secret: randomBytes(18).toString('base64url') },
    });
    if (res.statusCode !== 201) throw new Error(`${res.statusCode} ${res.body}`);
  };
  for (let i = 0; i < 200; i++) await post(); // warm-up

  for (const concurrency of concurrencies) {
    timings.clear();
    holds.length = 0;
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    let left = requests;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await post();
      }),
    );
    const wallUs = Number(process.hrtime.bigint() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = [...holds].sort((a, b) => a - b);
    console.log(
      `\nconcurrency ${concurrency}: ${requests} POSTs, ${((requests / wallUs) * 1e6).toFixed(0)} req/s, ` +
        `${(wallUs / requests).toFixed(0)} µs wall/request, process CPU ${((cpu.user + cpu.system) / requests).toFixed(0)} µs/request`,
    );
    console.log(
      `chain head held (upsert answered → COMMIT answered): mean ${(sorted.reduce((a, b) => a + b, 0) / sorted.length).toFixed(0)} µs, ` +
        `p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} µs, p99 ${sorted[Math.floor(sorted.length * 0.99)]?.toFixed(0)} µs`,
    );
    let sum = 0;
    for (const [key, t] of [...timings].sort((a, b) => b[1].totalUs - a[1].totalUs)) {
      const perRequest = t.totalUs / requests;
      sum += perRequest;
      console.log(`  ${(t.totalUs / t.count).toFixed(0).padStart(6)} µs × ${(t.count / requests).toFixed(2)}/req  ${key}`);
    }
    console.log(`  ${sum.toFixed(0).padStart(6)} µs of round trips per request (sum over statements)`);
  }
  await app.close();
  await deps.close();
} finally {
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
}
