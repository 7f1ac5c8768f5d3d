import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './webhook-url.js';

/** At most this much of a receiver's answer is read, and none of it is kept (docs/design.md §2.13). */
export const RESPONSE_READ_BYTES = 4096;

export interface Attempt {
  url: URL;
  /** The address the URL rules checked: the connection goes there and nowhere else (no second DNS answer). */
  address?: ResolvedAddress | undefined;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** An attempt's outcome: the receiver's status, or why no status came (never the receiver's body). */
export type AttemptResult = { status: number } | { status: null; error: string };

function pinned(address: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (e: null, all: ResolvedAddress[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
}

function describe(error: NodeJS.ErrnoException): string {
  if (error.message === 'timeout') return 'timeout';
  // Node's codes (ECONNREFUSED, ECONNRESET, CERT_HAS_EXPIRED, …) say enough and hold nothing of the receiver's.
  return error.code ?? 'connection failed';
}

/**
 * One POST, without following a redirect (Node's http client never does): a 3xx is a failed attempt like any
 * non-2xx. The whole attempt, connection to the last byte read, is bounded by `timeoutMs`; the answer is read up to
 * RESPONSE_READ_BYTES (so a slow or endless body cannot hold a slot) and dropped.
 */
export function sendAttempt(attempt: Attempt): Promise<AttemptResult> {
  const client = attempt.url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(
      attempt.url,
      {
        method: 'POST',
        headers: { ...attempt.headers, 'content-length': String(Buffer.byteLength(attempt.body)) },
        agent: false,
        ...(attempt.address !== undefined && { lookup: pinned(attempt.address) }),
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on('data', (chunk: Buffer) => {
          read += chunk.length;
          if (read >= RESPONSE_READ_BYTES) {
            settle({ status });
            response.destroy();
          }
        });
        response.on('end', () => settle({ status }));
        response.on('error', () => settle({ status }));
      },
    );
    const timer = setTimeout(() => {
      settle({ status: null, error: 'timeout' });
      request.destroy(new Error('timeout'));
    }, attempt.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => settle({ status: null, error: describe(error) }));
    request.end(attempt.body);
  });
}
