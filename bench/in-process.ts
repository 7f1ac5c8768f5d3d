/**
 * `npx tsx bench/in-process.ts`: CPU per request of a few routes through `app.inject` (no sockets, no load generator
 * sharing the cores), the figure used to measure one change at a time (docs/performance.md, "The third round").
 * Reports wall and process CPU per request and the main thread's own CPU (from /proc: work moved to libuv's thread
 * pool, such as the WAL's fdatasync or a token's signature, leaves it). Run it with `node --import tsx --cpu-prof`
 * for a profile. BENCH_ONLY picks scenarios (get, list, token, patch, post), BENCH_CONCURRENCY the requests in flight.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { cliContext, cliFleetlessContext } from '../src/core/context.js';
import { createDeps } from '../src/deps.js';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-in-process-'));
const config = loadConfig({
  NODE_ENV: 'production',
  FLEETVAULT_DATA_DIR: dataDir,
  FLEETVAULT_MASTER_KEYS: `bench:${randomBytes(32).toString('base64')}`,
  FLEETVAULT_TOKEN_TTL_SECONDS: '86400',
  LOG_LEVEL: 'silent',
  // On, as in production, but so high that the load never trips them.
  FLEETVAULT_RATE_LIMIT_MAX: '10000000',
  FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '10000000',
  FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '10000000',
  FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '10000000',
});
const deps = await createDeps(config, {});
const app = await buildApp(deps, { logger: false });
await app.ready();

const fleet = await deps.services.fleets.create(cliFleetlessContext, 'bench fleet');
const client = await deps.services.clients.createSecretClient(cliContext(fleet.id), 'bench', ['credentials:read', 'credentials:write']);
const basic = `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`;
const form = { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' };
const issued = await app.inject({ method: 'POST', url: '/oauth/token', headers: form, payload: 'grant_type=client_credentials' });
const bearer = { authorization: `Bearer ${issued.json<{ access_token: string }>().access_token}` };
const json = { ...bearer, 'content-type': 'application/json' };
const ids: string[] = [];
for (let i = 0; i < 60; i++) {
  const body = {
    name: `Pool ${String(i).padStart(4, '0')}`,
    client_id: `pool-client-${i}`,
    client_secret: randomBytes(24).toString('base64url'),
  };
  ids.push((await deps.services.credentials.create(cliContext(fleet.id), 'niu', body)).id);
}
const secret = () => randomBytes(18).toString('base64url');

const scenarios: Record<string, { requests: number; send: (i: number) => Promise<{ statusCode: number; body: string }> }> = {
  get: { requests: 15_000, send: (i) => app.inject({ method: 'GET', url: `/niu/credentials/${ids[i % ids.length]}`, headers: bearer }) },
  list: { requests: 3_000, send: () => app.inject({ method: 'GET', url: '/niu/credentials?limit=50', headers: bearer }) },
  token: {
    requests: 15_000,
    send: () => app.inject({ method: 'POST', url: '/oauth/token', headers: form, payload: 'grant_type=client_credentials' }),
  },
  patch: {
    requests: 6_000,
    send: (i) =>
      app.inject({ method: 'PATCH', url: `/niu/credentials/${ids[i % ids.length]}`, headers: json, payload: { client_secret: secret() } }),
  },
  post: {
    requests: 6_000,
    send: (i) =>
      app.inject({
        method: 'POST',
        url: '/niu/credentials',
        headers: json,
        payload: { name: `post ${i} ${secret()}`, client_id: 'c', client_secret: secret() },
      }),
  },
};

/** utime + stime of the main thread alone, in µs (/proc/self/task/<pid>/stat, fields 14 and 15, in clock ticks). */
function mainThreadCpuUs(): number {
  const fields = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 10);
for (const name of (process.env.BENCH_ONLY ?? 'get,list,token,patch,post').split(',')) {
  const scenario = scenarios[name];
  if (scenario === undefined) throw new Error(`unknown scenario ${name}`);
  const first = await scenario.send(0);
  if (first.statusCode >= 300) throw new Error(`${name}: ${first.statusCode} ${first.body}`);
  const run = async (count: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) await scenario.send(next++);
      }),
    );
  };
  await run(scenario.requests / 5);
  const [main0, cpu0, t0] = [mainThreadCpuUs(), process.cpuUsage(), performance.now()];
  await run(scenario.requests);
  const cpu = process.cpuUsage(cpu0);
  const per = (us: number) => (us / scenario.requests).toFixed(1);
  console.log(
    `${name}: ${per((performance.now() - t0) * 1000)} µs wall, ${per(cpu.user + cpu.system)} µs CPU, ` +
      `${per(mainThreadCpuUs() - main0)} µs main-thread CPU per request (${concurrency} in flight)`,
  );
}
await app.close();
await deps.close();
fs.rmSync(dataDir, { recursive: true, force: true });
