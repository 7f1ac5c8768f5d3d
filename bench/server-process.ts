import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Reply, ScaleFleet, StartArgs, Started } from './protocol.js';

/** The parent's handle on one bench/server.ts process. */
export interface ServerProcess {
  readonly started: Started;
  fleet(name: string): Promise<ScaleFleet>;
  raw(seconds: number): Promise<{ ops: number; seconds: number; opsPerSecond: number }>;
  /** As measured, then after a full garbage collection. */
  memory(): Promise<NodeJS.MemoryUsage & { afterGc: NodeJS.MemoryUsage }>;
  cpuUsage(): Promise<NodeJS.CpuUsage & { atUs: number }>;
  close(): Promise<void>;
}

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const serverSource = fileURLToPath(new URL('./server.ts', import.meta.url));
let compiledServer: string | undefined;

/**
 * The server process's script and Node options. Production runs the JavaScript tsc writes (`npm run build`, `node
 * dist/src/server.js`), so by default the bench compiles bench/server.ts and the sources it imports the same way
 * (tsconfig.bench.json, into dist/bench) and runs that. Under tsx every function the sources define is wrapped in
 * esbuild's `__name` (tsx sets `keepNames`), a cost per closure made per request that production does not pay.
 * BENCH_SOURCE=1 runs the sources under tsx instead, as the bench did before.
 */
function serverEntry(): { script: string; nodeOptions: string[] } {
  if (process.env.BENCH_SOURCE === '1') return { script: serverSource, nodeOptions: ['--import', 'tsx'] };
  if (compiledServer === undefined) {
    execFileSync(process.execPath, [path.join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.bench.json'], {
      cwd: projectRoot,
      stdio: 'inherit',
    });
    compiledServer = path.join(projectRoot, 'dist/bench/bench/server.js');
  }
  return { script: compiledServer, nodeOptions: [] };
}
/** Outside the repository, so profiles never end up in a commit. */
export const profileDir = path.join(os.tmpdir(), 'fleetvault-bench-profiles');

export async function startServerProcess(args: StartArgs): Promise<ServerProcess> {
  const { script, nodeOptions } = serverEntry();
  const child: ChildProcess = fork(script, [], {
    // BENCH_PROFILE=1: a V8 CPU profile of each server process, written when it exits.
    execArgv: [...nodeOptions, '--expose-gc', ...(process.env.BENCH_PROFILE === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    // The app's own logs (when BENCH_LOG_LEVEL is not silent) go to /dev/null, as a log shipper would take them.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  child.on('message', (reply: Reply) => {
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.ok) waiter?.resolve(reply.value);
    else waiter?.reject(new Error(`server process: ${reply.error}`));
  });
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`server process exited (${code})`));
    pending.clear();
  });

  const call = <T>(command: Command) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ id, command });
    });

  let started: Started;
  try {
    started = await call<Started>({ cmd: 'start', args });
  } catch (error) {
    child.kill();
    throw error;
  }
  return {
    started,
    fleet: (name) => call({ cmd: 'fleet', args: { name } }),
    raw: (seconds) => call({ cmd: 'raw', args: { seconds } }),
    memory: () => call({ cmd: 'memory' }),
    cpuUsage: () => call({ cmd: 'cpu' }),
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await call({ cmd: 'close' });
        child.disconnect();
      } catch {
        child.kill();
      }
      await exited;
    },
  };
}
