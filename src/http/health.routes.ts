import { z } from 'zod';
import type { Database } from '../db/database.js';
import { AppError } from './app-error.js';
import { type App, problemResponses } from './route-types.js';

const statusSchema = z.object({ status: z.string() });

export function registerHealthRoutes(app: App, database: Database) {
  // Probes are never rate limited: a limited probe would take a healthy replica out of service.
  app.get('/healthz', {
    config: { rateLimitClass: 'none' },
    schema: { tags: ['operations'], summary: 'The process is alive', response: { 200: statusSchema } },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    config: { rateLimitClass: 'none' },
    schema: { tags: ['operations'], summary: 'The database answers and the keys are loaded', response: { 200: statusSchema, ...problemResponses('service-unavailable') } },
    handler: async (request) => {
      try {
        await database.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unreachable');
        throw new AppError('service-unavailable', 'The database does not answer.');
      }
      return { status: 'ready' };
    },
  });
}
