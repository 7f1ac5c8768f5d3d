import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';

/**
 * A brand's token endpoint on loopback, for tests and `npm run emulators`. Each brand file says
 * what the real endpoint checks (from the maker's documentation); this file adds the faults a
 * test asks for: slowness, 5xx, 429 with Retry-After, a secret echoed in error bodies, call counts.
 */
export interface EmulatorRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface EmulatorResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface EmulatorState {
  /** Accepted secrets: client_id → client_secret (geotab: `database/userName` → password). */
  accounts: Map<string, string>;
  /** High Mobility: key id → the public key of a service-account private key. */
  keys: Map<string, KeyObject>;
  /** Single-use assertion ids seen (High Mobility). */
  jtis: Set<string>;
  /** The emulator's clock (ms): tests with an injected clock pass the same one. */
  now: () => number;
  tokenLifetimeSeconds: number;
  /** Put the submitted secret into error bodies, as a careless brand might. */
  echoSecret: boolean;
  /** Tokens handed out, newest last. */
  issued: string[];
}

export interface EmulatorSpec {
  brand: string;
  /** The documented lifetime of the brand's tokens. */
  tokenLifetimeSeconds: number;
  handle(request: EmulatorRequest, state: EmulatorState): EmulatorResponse;
}

export interface Emulator extends EmulatorState {
  brand: string;
  /** The origin to put in `FLEETVAULT_BRAND_URL_<SLUG>`. */
  url: string;
  envName: string;
  /** Every request received, faults included. */
  calls: number;
  requests: EmulatorRequest[];
  /** Delay before each answer. */
  delayMs: number;
  /** The next `count` requests answer `status` (5xx, or a 3xx redirect) with no body worth reading. */
  failures: { count: number; status: number };
  /** The next `count` requests answer 429 with this Retry-After. */
  rateLimit: { count: number; retryAfter: string };
  /** A fault for some requests only (one client's): its answer replaces the brand's when it returns one. */
  fault: ((request: EmulatorRequest) => EmulatorResponse | undefined) | undefined;
  /** Resolves when the emulator has received `n` requests in total. */
  waitForCalls(n: number): Promise<void>;
  close(): Promise<void>;
}

let counter = 0;

/** A random-looking token; its prefix names the brand so a test can tell them apart. */
export function newToken(brand: string): string {
  counter += 1;
  return `${brand}-token-${counter}-${Math.random().toString(36).slice(2, 12)}`;
}

export async function startEmulator(spec: EmulatorSpec, options: { port?: number; host?: string } = {}): Promise<Emulator> {
  const waiters: { n: number; resolve: () => void }[] = [];
  const emulator = {
    brand: spec.brand,
    url: '',
    envName: `FLEETVAULT_BRAND_URL_${spec.brand.toUpperCase().replaceAll('-', '_')}`,
    accounts: new Map<string, string>(),
    keys: new Map<string, KeyObject>(),
    jtis: new Set<string>(),
    now: () => Date.now(),
    tokenLifetimeSeconds: spec.tokenLifetimeSeconds,
    echoSecret: false,
    issued: [] as string[],
    calls: 0,
    requests: [] as EmulatorRequest[],
    delayMs: 0,
    failures: { count: 0, status: 503 },
    rateLimit: { count: 0, retryAfter: '1' },
    fault: undefined as Emulator['fault'],
    waitForCalls(n: number) {
      if (emulator.calls >= n) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ n, resolve }));
    },
    close: async () => {},
  } satisfies Emulator;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: EmulatorRequest = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      emulator.calls += 1;
      emulator.requests.push(request);
      for (const waiter of waiters.filter((w) => emulator.calls >= w.n)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      const answer = (): EmulatorResponse => {
        if (emulator.failures.count > 0) {
          emulator.failures.count -= 1;
          const status = emulator.failures.status;
          // A 3xx points elsewhere: the vault must not follow it (docs/design.md §2.9).
          const headers: Record<string, string> = status >= 300 && status < 400 ? { location: 'http://127.0.0.1:9/elsewhere' } : {};
          return { status, body: { error: 'server_error' }, headers };
        }
        const fault = emulator.fault?.(request);
        if (fault !== undefined) return fault;
        if (emulator.rateLimit.count > 0) {
          emulator.rateLimit.count -= 1;
          return { status: 429, body: { error: 'rate_limited' }, headers: { 'retry-after': emulator.rateLimit.retryAfter } };
        }
        return spec.handle(request, emulator);
      };
      const send = () => {
        if (res.destroyed) return;
        const { status, body, headers = {} } = answer();
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
      };
      if (emulator.delayMs > 0) setTimeout(send, emulator.delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  emulator.url = `http://127.0.0.1:${port}`;
  emulator.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return emulator;
}
