import type { FastifyRequest } from 'fastify';

/** What a caller's own id may be: printable ASCII (space to `~`), 1 to 128 characters. */
const CLIENT_REQUEST_ID = /^[\x20-\x7e]{1,128}$/;

/**
 * The caller's `X-Request-Id`, when it is printable ASCII of at most 128 characters; anything else is
 * dropped. It is only ever recorded beside our own id (audit `client_request_id`, the request log line):
 * `request_id` is always the ULID the server generated, so no caller can give its request another's id.
 */
export function clientRequestId(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming) ? incoming : undefined;
}
