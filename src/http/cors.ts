import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/**
 * CORS only for the origins an operator lists (FLEETVAULT_CORS_ORIGINS); with none, no
 * Access-Control-* header is ever sent and browsers keep their same-origin rule.
 * Bearer tokens travel in a header, not cookies, so credentialed CORS stays off.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]) {
  if (origins.length === 0) return;
  await app.register(fastifyCors, {
    origin: [...origins],
    methods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'if-match', 'idempotency-key', 'x-request-id'],
    exposedHeaders: [
      'location',
      'etag',
      'x-request-id',
      'retry-after',
      'www-authenticate',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    credentials: false,
    maxAge: 600,
  });
}
