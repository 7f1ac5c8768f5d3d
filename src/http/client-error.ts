import { STATUS_CODES } from 'node:http';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/app-error.js';
import { ulidGenerator } from '../core/clock.js';
import { problemBody } from './error-handler.js';

const requestIds = ulidGenerator();

/** Node's parser errors (its `clientError` event, https://nodejs.org/api/http.html#event-clienterror) as our problem types. */
function problemFor(code: string | undefined): AppError {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new AppError('request-timeout', 'The request did not arrive whole in time.');
    case 'HPE_HEADER_OVERFLOW':
      return new AppError('request-header-fields-too-large', 'The request headers are larger than the server accepts.');
    // Node answers this one 413 itself (lib/_http_server.js, socketOnError).
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new AppError('payload-too-large', 'The chunk extensions of the request body are too large.');
    default:
      return new AppError('malformed-request', 'The request is not valid HTTP/1.1.');
  }
}

interface ParserSocket extends Socket {
  /** The in-flight response of this connection, if a request reached the router (Node internal, as Node's own check). */
  _httpMessage?: { headersSent?: boolean };
}

/**
 * fastify's `clientErrorHandler`: what the HTTP parser refuses (a lower-case method, `HTTP/9`,
 * two Content-Length headers, a control byte in the path, a request that is too slow) is answered
 * with a complete problem+json response and `Connection: close` (docs/design.md §2.5), never fastify's
 * default JSON. The raw bytes are never logged: they may hold a secret.
 */
export function clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: ParserSocket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const requestId = requestIds.next();
  const problem = problemFor(error.code);
  this.log.info({ request_id: requestId, reason: error.code ?? 'error', status: problem.status }, 'refused by the HTTP parser');
  // As Node itself: write only when no byte of a response has gone out on this connection yet.
  if (socket.writable && !socket._httpMessage?.headersSent) {
    const body = JSON.stringify(problemBody(problem, requestId));
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n' +
        `X-Request-Id: ${requestId}\r\n` +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        '\r\n' +
        body,
    );
  }
  socket.destroy();
}

/**
 * Node's request timers (https://nodejs.org/api/http.html#serverrequesttimeout): `requestTimeout`
 * bounds the whole request, `headersTimeout` its headers, and both are only checked every
 * `connectionsCheckingInterval` (30 s by default), so the true bound was the timeout plus up to
 * 30 s, and headers had 60 s. Headers get the same limit as the whole request, and the check runs
 * at least every second: a request is cut within `requestTimeoutMs` + 1 s.
 */
export function applyRequestTimeouts(server: Server, requestTimeoutMs: number): void {
  server.requestTimeout = requestTimeoutMs;
  server.headersTimeout = requestTimeoutMs;
  // Read when the server starts listening (lib/_http_server.js, setupConnectionsTracking).
  // (Not in @types/node 20's Server, though Node has had it since 18.0.)
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = checkingIntervalMs(requestTimeoutMs);
}

export function checkingIntervalMs(requestTimeoutMs: number): number {
  return Math.min(1000, Math.max(50, Math.floor(requestTimeoutMs / 4)));
}
