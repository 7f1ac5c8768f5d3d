/**
 * `npm run bench:profile`: per-request server CPU by component, from the V8 CPU profiles a
 * `BENCH_PROFILE=1 npm run bench` wrote and the run windows in bench/results.json (each scenario's
 * measured run, on the server's monotonic clock, which V8's profile timestamps share). Each sample
 * goes to the first component found walking its stack from the leaf up (native frames take their
 * caller's component; zod takes its caller's: validation or serialization); the audit trail takes
 * every sample with an audit frame anywhere on the stack (its SQL included). docs/performance.md
 * explains the components.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileDir } from './server-process.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Leaf-first rules: the first frame whose url (or function name) matches names the component. A file is matched as
 * `.ts` (sources under tsx, BENCH_SOURCE=1) or `.js` (the tsc build the bench runs by default).
 */
const rules: [string, RegExp][] = [
  ['query', /kysely\/dist\/\w+\/dialect\/(sqlite|postgres)\/\w+-driver|better-sqlite3|node_modules\/pg(-\w+)?\//],
  ['query building', /node_modules\/kysely\//],
  ['auth', /fast-jwt|src\/http\/auth\.[jt]s|client-liveness|asn1|ecdsa/],
  ['rate limit', /rate-limit|toad-cache/],
  ['metrics', /prom-client|src\/http\/metrics\.[jt]s|\.metrics\.[jt]s/],
  ['logging', /pino|request-log\.[jt]s|sonic-boom/],
  ['request id', /node_modules\/ulid|src\/core\/clock\.[jt]s|#genReqId$/],
  // fast-json-stringify's compiled functions have no url: they show up under fastify's reply.js `serialize`.
  ['serialization', /fastify-type-provider-zod|fast-json-stringify|fastify\/lib\/reply\.js#serialize$/],
  ['validation', /zod-validator|src\/http\/validation\.[jt]s|formbody|content-type-parser/],
  ['crypto (seal/open)', /libsodium|src\/crypto\//],
  ['handler + service', /src\/(credentials|tokens|vehicles|clients|fleets|exchange|db)\//],
  ['fastify (routing, hooks, reply)', /node_modules\/(fastify|find-my-way|light-my-request|avvio|@fastify)\//],
];
/** Frames that take their caller's component: zod (validation or serialization), Node's own modules (http, crypto, streams). */
const ambiguous = /node_modules\/zod\/|^node:/;

function classify(stack: ProfileNode[]): string {
  if (stack.some((n) => /src\/audit\//.test(n.callFrame.url))) return 'audit write';
  let inNode = false;
  for (const node of stack) {
    const { url, functionName } = node.callFrame;
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (V8/native, unattributed)';
    if (url === '' && functionName !== 'genReqId') continue;
    if (url.startsWith('node:')) inNode = true;
    if (ambiguous.test(url)) continue;
    const frame = `${url}#${functionName}`;
    for (const [name, pattern] of rules) if (pattern.test(frame)) return name;
  }
  return inNode ? 'node (http parser, sockets, timers)' : 'other';
}

function breakdown(profile: Profile, from: number, to: number): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string>();
  const categoryOf = (id: number) => {
    let c = cache.get(id);
    if (c === undefined) {
      const stack: ProfileNode[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.push(byId.get(at)!);
      c = classify(stack);
      cache.set(id, c);
    }
    return c;
  };
  const totals = new Map<string, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < from || t > to) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const c = categoryOf(profile.samples[i]!);
    totals.set(c, (totals.get(c) ?? 0) + dt);
  }
  return totals;
}

const resultsFile = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results.json');
const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
  scenarios: {
    engine: string;
    scenario: string;
    requests: number;
    serverCpuUsPerRequest: number | null;
    serverWindowUs: [number, number] | null;
  }[];
};
const profiles = fs
  .readdirSync(profileDir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => JSON.parse(fs.readFileSync(path.join(profileDir, f), 'utf8')) as Profile);
const wanted = process.argv.slice(2);
for (const row of results.scenarios) {
  if (row.serverWindowUs === null || (wanted.length > 0 && !wanted.includes(row.scenario))) continue;
  const [from, to] = row.serverWindowUs;
  // Every server process of the run was profiled over the window (the SQLite one serves the bare route while
  // PostgreSQL runs): the scenario's own is the one that was busy in it.
  const candidates = profiles
    .filter((p) => p.startTime <= from && p.endTime >= to)
    .map((p) => [...breakdown(p, from, to)].filter(([c]) => c !== 'idle').sort((a, b) => b[1] - a[1]));
  const busyOf = (totals: [string, number][]) => totals.reduce((sum, [, us]) => sum + us, 0);
  const totals = candidates.sort((a, b) => busyOf(b) - busyOf(a))[0];
  if (totals === undefined) continue;
  const busy = busyOf(totals);
  console.log(
    `\n${row.engine} ${row.scenario}: ${row.requests} requests; profiled ${(busy / row.requests).toFixed(0)} µs/request` +
      ` (process CPU ${row.serverCpuUsPerRequest?.toFixed(0) ?? '—'} µs/request)`,
  );
  for (const [c, us] of totals)
    console.log(`  ${c.padEnd(34)} ${(us / row.requests).toFixed(1).padStart(8)} µs  ${((100 * us) / busy).toFixed(1).padStart(5)} %`);
}
