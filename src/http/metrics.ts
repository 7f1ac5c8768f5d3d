import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { AppError } from '../core/app-error.js';

/**
 * The Prometheus metrics of one app, in a registry of its own (not prom-client's global one),
 * so several apps in one process (tests) never share or collide. Here only what HTTP itself
 * sees; domain modules register their own counters on `registry` (see `credentials.metrics.ts`).
 * Labels are closed sets: route templates, status classes, brand slugs, grant names, reasons.
 * Never a URL, a credential's name or a secret.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    requestDuration: new Histogram({
      name: 'fleetvault_http_request_duration_seconds',
      help: 'Time from request to response, by method, route template and status class.',
      labelNames: ['method', 'route', 'status_class'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    authenticationFailures: new Counter({
      name: 'fleetvault_authentication_failures_total',
      help:
        'Refused callers, by reason: missing_token, invalid_token, insufficient_scope (bearer routes); invalid_client, ' +
        'invalid_grant (token endpoints).',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const authFailureReasons: Partial<Record<string, string>> = {
  'missing-token': 'missing_token',
  'invalid-token': 'invalid_token',
  'insufficient-scope': 'insufficient_scope',
};

/** Request durations and authentication failures from hooks; `/metrics` itself unless it has its own port. */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, options: { serveMetrics: boolean }) {
  app.addHook('onError', async (_request, _reply, error) => {
    // The token endpoints count their own refusals (invalid_client, invalid_grant) on the same counter.
    const reason = error instanceof AppError ? authFailureReasons[error.code] : undefined;
    if (reason !== undefined) metrics.authenticationFailures.inc({ reason });
  });
  // Callback style: no promise per request (docs/performance.md).
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe(
      {
        method: request.method,
        // Unmatched paths share one label: a scanner must not grow the series without bound.
        route: request.routeOptions.url ?? 'unmatched',
        status_class: `${Math.floor(reply.statusCode / 100)}xx`,
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
  if (options.serveMetrics) {
    app.get('/metrics', {
      config: { rateLimitClass: 'none' },
      schema: {
        tags: ['operations'],
        operationId: 'getMetrics',
        summary: 'Prometheus metrics (text exposition format); served on METRICS_PORT instead when that is set',
        description:
          'Request durations by route template, authentication failures, token and credential counters; never a name, id or secret in ' +
          'a label.',
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: z.string() } } } },
      },
      handler: async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
    });
  }
}

/** `/metrics` on a port of its own (METRICS_PORT), so it can stay off the public listener. */
export async function serveMetricsOn(metrics: Metrics, port: number, host: string): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
