import type { Clock } from '../core/clock.js';
import type { UpstreamRequest } from '../brands/brand-adapter.js';
import type { BreakerSubject, CircuitBreakers } from './circuit-breaker.js';

/** Why no usable answer came back; the service turns each into its problem type (docs/design.md §2.9). */
export class UpstreamFailure extends Error {
  override name = 'UpstreamFailure';
  constructor(
    readonly reason: 'timeout' | 'network' | 'server-error' | 'rate-limited' | 'redirect' | 'breaker-open',
    /** The brand's last HTTP status, if it answered. */
    readonly brandStatus: number | null,
    /** Seconds the caller should wait (breaker open, or the brand's own Retry-After). */
    readonly retryAfterSeconds?: number,
    /** For `breaker-open`: whether this credential's breaker or the whole host's is open. */
    readonly breaker?: 'credential' | 'host',
  ) {
    super(`brand request failed: ${reason}`);
  }
}

export interface UpstreamAnswer {
  status: number;
  /** Parsed JSON, or undefined. Never logged, never shown: it can echo a secret. */
  body: unknown;
}

export interface BrandHttpClientDeps {
  fetch: typeof fetch;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** [0, 1): the jitter source. */
  random: () => number;
  breakers: CircuitBreakers;
  timeoutMs: number;
  /** Per brand slug, the origin that replaces the documented one (`FLEETVAULT_BRAND_URL_<SLUG>`). */
  origins: Readonly<Record<string, string>>;
  /** Called once per upstream attempt, with its duration and status (0: no answer). */
  observe?: (brand: string, seconds: number, status: number) => void;
}

const MAX_ATTEMPTS = 3;
const BASE_BACKOFF_MS = 200;
/** The longest Retry-After the vault waits for while the caller waits (docs/design.md §2.9). */
const MAX_RETRY_AFTER_MS = 5000;
const MAX_BODY_BYTES = 64 * 1024;

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now: Date): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d{1,9}$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/** The documented URL, with its origin swapped for the configured one when there is one. */
export function targetUrl(brand: string, documented: string, origins: Readonly<Record<string, string>>): URL {
  const url = new URL(documented);
  const override = origins[brand];
  if (override === undefined) return url;
  const origin = new URL(override);
  url.protocol = origin.protocol;
  url.host = origin.host;
  return url;
}

/**
 * The answer's JSON, or undefined when it is not JSON or longer than MAX_BODY_BYTES. The body is
 * streamed and counted: at the cap (or a Content-Length over it) reading stops and `abandon` aborts
 * the request, which closes the connection, so a brand (or anything posing as one) that sends an
 * endless answer costs the vault 64 KiB, not its memory and the whole timeout.
 */
async function readJson(response: Response, abandon: () => void): Promise<unknown> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (response.body === null || declared > MAX_BODY_BYTES) {
    abandon();
    return undefined;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      abandon();
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
  try {
    // TextDecoder, like Response.text(), drops a UTF-8 byte order mark.
    return JSON.parse(new TextDecoder().decode(Buffer.concat(chunks))) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The one HTTP client of every brand flow, on Node's fetch (undici): no redirect followed, a
 * timeout per attempt, up to 2 retries with jittered exponential backoff on network errors, 5xx
 * and 429 (waiting out a Retry-After of up to 5 s), never on other 4xx; circuit breakers per host and
 * credential, and per host for outages seen by several fleets (`circuit-breaker.ts`).
 * A timeout is not retried: the caller has already waited the whole budget.
 */
export function createBrandHttpClient(deps: BrandHttpClientDeps) {
  const { clock, breakers } = deps;

  async function attempt(url: URL, request: UpstreamRequest, signal: AbortSignal): Promise<Response> {
    return deps.fetch(url, { method: 'POST', headers: request.headers, body: request.body, redirect: 'manual', signal });
  }

  return {
    /** `who`: the fleet and credential the request is for, which the breakers key on. */
    async send(brand: string, request: UpstreamRequest, who: Omit<BreakerSubject, 'host'>): Promise<UpstreamAnswer> {
      const url = targetUrl(brand, request.url, deps.origins);
      const host: BreakerSubject = { ...who, host: url.host };
      const refused = breakers.refuse(host);
      if (refused !== undefined) throw new UpstreamFailure('breaker-open', null, refused.retryAfterSeconds, refused.scope);
      let failure: UpstreamFailure | undefined;
      for (let n = 0; n < MAX_ATTEMPTS; n++) {
        if (n > 0) {
          const backoff = BASE_BACKOFF_MS * 2 ** (n - 1);
          const retryAfter = failure?.retryAfterSeconds === undefined ? undefined : failure.retryAfterSeconds * 1000;
          // Full jitter in [backoff/2, backoff), or the brand's Retry-After when it gave one.
          await deps.sleep(retryAfter ?? backoff / 2 + deps.random() * (backoff / 2));
        }
        const started = performance.now();
        // One timer for the request and its body; aborting also lets go of the connection (readJson's cap).
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(new DOMException('brand timeout', 'TimeoutError')), deps.timeoutMs);
        let response: Response;
        let body: unknown;
        try {
          try {
            response = await attempt(url, request, controller.signal);
          } catch (error) {
            deps.observe?.(brand, (performance.now() - started) / 1000, 0);
            const timedOut = (error as Error).name === 'TimeoutError' || (error as Error).name === 'AbortError';
            if (timedOut) {
              breakers.failed(host);
              throw new UpstreamFailure('timeout', null);
            }
            failure = new UpstreamFailure('network', null);
            continue;
          }
          try {
            body = await readJson(response, () => controller.abort());
          } catch {
            // The body stalled past the timeout or the connection broke mid-answer.
            deps.observe?.(brand, (performance.now() - started) / 1000, response.status);
            breakers.failed(host);
            throw new UpstreamFailure('timeout', response.status);
          }
        } finally {
          clearTimeout(timer);
        }
        deps.observe?.(brand, (performance.now() - started) / 1000, response.status);
        const { status } = response;
        if (status >= 300 && status < 400) {
          breakers.failed(host);
          throw new UpstreamFailure('redirect', status);
        }
        if (status === 429 || status >= 500) {
          const wait = retryAfterMs(response.headers.get('retry-after'), clock.now());
          const reason = status === 429 ? 'rate-limited' : 'server-error';
          failure = new UpstreamFailure(reason, status, wait === undefined ? undefined : Math.ceil(wait / 1000));
          // A brand asking for more than 5 s: give up now and pass its Retry-After on.
          if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) break;
          continue;
        }
        breakers.succeeded(host);
        return { status, body };
      }
      breakers.failed(host);
      throw failure!;
    },
  };
}

export type BrandHttpClient = ReturnType<typeof createBrandHttpClient>;
