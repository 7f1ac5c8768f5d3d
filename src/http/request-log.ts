import type { FastifyInstance } from 'fastify';
import { clientRequestId } from './client-request-id.js';

/** pino's levels that write no `info` line (https://getpino.io/#/docs/api?id=logger-level). */
const quieterThanInfo = new Set(['warn', 'error', 'fatal', 'silent']);

/**
 * One JSON line per request, written when the response is done (fastify's own two lines per
 * request are disabled in `buildApp`). It names the route template, never the URL: a query
 * string may carry anything a client typed, secrets included, and templates keep lines greppable.
 */
export function registerRequestLog(app: FastifyInstance) {
  app.addHook('onResponse', (request, reply, done) => {
    // Production runs at `warn`: the line is not written, so its fields are not gathered either.
    if (quieterThanInfo.has(request.log.level)) return done();
    const route = request.routeOptions.url;
    const principal = request.principal;
    const callerId = clientRequestId(request);
    request.log.info(
      {
        method: request.method,
        route: route ?? null,
        // Unmatched requests have no template; their path (without the query) says what was asked.
        ...(route === undefined && { path: request.url.split('?')[0]!.slice(0, 200) }),
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        ...(principal && { fleet_id: principal.fleetId, client_id: principal.clientId }),
        // The caller's own X-Request-Id, so its logs and ours line up.
        ...(callerId !== undefined && { client_request_id: callerId }),
      },
      'request completed',
    );
    done();
  });
}
