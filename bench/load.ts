import os from 'node:os';
import autocannon from 'autocannon';

/** One request as autocannon sends it; `setupRequest` may vary it per call (ids, bodies). */
export type LoadRequest = autocannon.Request;

export interface LoadOptions {
  url: string;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  requests: LoadRequest[];
  headers?: Record<string, string>;
  /** A fixed number of requests instead of `seconds` (the exchange part: 10 000). */
  amount?: number;
}

/** What one scenario measured. Latencies in ms, computed here from every 2xx response (autocannon's histogram rounds to 1 ms). */
export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  errors: number;
  statusCodes: Record<string, number>;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

async function fire(options: LoadOptions, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        pipelining: 1,
        ...(options.amount !== undefined ? { amount: options.amount } : { duration: seconds }),
        timeout: 10,
        headers: options.headers ?? {},
        requests: options.requests,
      },
      (error, res) => (error ? reject(error) : resolve(res)),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  const sorted = Float64Array.from(latencies).sort();
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stat as { count: number }).count;
  const twoXx = latencies.length;
  return {
    requests: twoXx,
    seconds: result.duration,
    rps: twoXx / result.duration,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length > 0 ? sorted[sorted.length - 1]! : NaN,
    non2xx: result.non2xx,
    socketErrors: result.errors - result.timeouts,
    timeouts: result.timeouts,
    errors: result.non2xx + result.errors,
    statusCodes,
  };
}

/** What the server process spent during the measured run (CPU is robust to other load on the machine; throughput is not). */
export interface ServerProbe {
  /** With `atUs`: the server's monotonic clock (the clock of V8's CPU profile timestamps), to slice a profile by run. */
  cpuUsage(): Promise<NodeJS.CpuUsage & { atUs?: number }>;
}

export interface Measured extends LoadResult {
  /** Server CPU (user + system) per 2xx response, in microseconds. */
  serverCpuUsPerRequest: number | null;
  /** Server CPU utilisation during the run (1 = one core busy). */
  serverCpuCores: number | null;
  /** Machine load average (1 min) at the end of the run: other work competing for the CPUs. */
  loadAverage: number;
  /** The measured run's window on the server's monotonic clock in µs (bench/profile-breakdown.ts slices profiles by it). */
  serverWindowUs: [number, number] | null;
}

/** A discarded warm-up run (JIT, caches, connection setup), then the measured run. */
export async function measure(options: LoadOptions, probe?: ServerProbe): Promise<Measured> {
  // The warm-up runs for its seconds even when the measured run is a fixed number of requests.
  if (options.warmupSeconds > 0) await fire({ ...options, amount: undefined }, options.warmupSeconds);
  const before = await probe?.cpuUsage();
  const result = await fire(options, options.seconds);
  const after = await probe?.cpuUsage();
  const cpuUs = before && after ? after.user - before.user + (after.system - before.system) : null;
  return {
    ...result,
    serverCpuUsPerRequest: cpuUs === null || result.requests === 0 ? null : cpuUs / result.requests,
    serverCpuCores: cpuUs === null ? null : cpuUs / 1e6 / result.seconds,
    loadAverage: os.loadavg()[0]!,
    serverWindowUs: before?.atUs !== undefined && after?.atUs !== undefined ? [before.atUs, after.atUs] : null,
  };
}
