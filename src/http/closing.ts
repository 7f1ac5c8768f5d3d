import type { FastifyInstance } from 'fastify';
import { AppError } from '../core/app-error.js';

/**
 * Seconds a client is asked to wait before it retries a request refused while this replica drains. RFC 9110 §15.6.4:
 * a 503 MAY carry Retry-After (§10.2.3); 1 s as for an unreachable database (error-handler.ts): another replica can
 * answer at once, so the hint only keeps a client from retrying in a tight loop.
 */
export const CLOSING_RETRY_AFTER_SECONDS = 1;

/**
 * While `app.close()` drains (SIGTERM, src/server.ts), a request that still reaches the router (one sent on a
 * kept-alive connection that was busy when the close began, or pipelined behind one in flight) is refused 503
 * `service-unavailable` through the error handler, so in the route's error format (problem+json, the token
 * endpoints' own bodies), with `Retry-After` and `Connection: close`. It replaces fastify's `return503OnClosing`,
 * which answers a fixed `{"error":"Service Unavailable",…}` body of its own (docs/design.md §2.5 wants problem+json);
 * app.ts turns that option off. Requests that reached the router before the close began are not touched: they
 * finish normally, which is what the drain is for.
 *
 * Register it before the rate limits and authentication (a refused request costs no budget and no signature check)
 * and after the hook that sets the headers every response carries.
 */
export function refuseRequestsWhileClosing(app: FastifyInstance): void {
  let closing = false;
  // fastify docs (Hooks, preClose): runs when close() begins, before fastify calls server.close(). fastify's own
  // closing flag, set in the same step, is not public.
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback style: the open case costs no promise (docs/performance.md).
  app.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    // Connection: close (RFC 9110 §7.6.1) so the client's next attempt opens a new connection, which the load
    // balancer sends to a replica that still listens; this one accepts no new connection once server.close() ran.
    // fastify sets it too while closing (lib/route.js), but only for HTTP/1 and as an implementation detail.
    reply.header('connection', 'close');
    throw new AppError(
      'service-unavailable',
      'This server is shutting down; retry the request.',
      {},
      {
        retryAfterSeconds: CLOSING_RETRY_AFTER_SECONDS,
      },
    );
  });
}
