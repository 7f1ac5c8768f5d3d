import type { IncomingMessage } from 'node:http';
import { AppError } from '../core/app-error.js';

/**
 * RFC 9112 §3.2: a server MUST answer 400 to an HTTP/1.1 request that lacks a Host header. Node's own
 * check (`requireHostHeader`) writes an empty-bodied 400, so it is turned off in app.ts and this check
 * answers problem+json instead (docs/security.md). HTTP/1.0 has no such requirement.
 */
export function refuseMissingHost(raw: IncomingMessage): void {
  if (raw.httpVersionMajor === 1 && raw.httpVersionMinor >= 1 && raw.headers.host === undefined) {
    throw new AppError('malformed-request', 'An HTTP/1.1 request needs a Host header.');
  }
}
