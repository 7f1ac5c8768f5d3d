import { z } from 'zod';
import type { Database } from '../db/database.js';
import { AppError } from '../core/app-error.js';
import { type App, problemResponses } from './route-types.js';

const statusSchema = z.object({ status: z.string() });

/**
 * `checkMasterKeys` throws while a master key cannot be used (a PKCS#11 token away, docs/hsm.md): the
 * replica is then not ready, since it could not open a data key it has not cached yet.
 */
export function registerHealthRoutes(app: App, database: Database, checkMasterKeys: () => void) {
  // Probes are never rate limited: a limited probe would take a healthy replica out of service.
  app.get('/healthz', {
    config: { rateLimitClass: 'none' },
    schema: {
      tags: ['operations'],
      operationId: 'getLiveness',
      summary: 'The process is alive',
      description: 'Liveness probe: answers while the process runs, without touching the database; never rate limited.',
      response: { 200: statusSchema.describe('`{"status":"ok"}`') },
    },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    config: { rateLimitClass: 'none' },
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'The database answers and the keys are loaded',
      description:
        'Readiness probe: 503 `service-unavailable` while the database does not answer or a master key cannot be used ' +
        '(an HSM away); never rate limited.',
      response: { 200: statusSchema.describe('`{"status":"ready"}`'), ...problemResponses('service-unavailable') },
    },
    handler: async (request) => {
      try {
        await database.ping();
      } catch (error) {
        request.log.warn({ err: error }, 'readiness: database unreachable');
        throw new AppError('service-unavailable', 'The database does not answer.');
      }
      try {
        checkMasterKeys();
      } catch (error) {
        request.log.warn({ reason: (error as Error).message }, 'readiness: a master key cannot be used');
        throw new AppError('service-unavailable', 'A master key cannot be used (the HSM does not answer).');
      }
      return { status: 'ready' };
    },
  });
}
