import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError } from '../core/app-error.js';
import { errorHandler } from './error-handler.js';
import { openapiDocument, transformDocument, transformRoute } from './openapi.js';

/**
 * Swagger UI's assets are all served from /docs/static (no CDN, no inline script: @fastify/swagger-ui's csp.json lists
 * no hash), and its calls, the Authorize token request included, go to this origin. Nothing else may load or frame it.
 */
export const DOCS_CSP =
  "default-src 'self'; base-uri 'none'; connect-src 'self'; font-src 'self' data:; form-action 'self'; frame-ancestors 'none'; " +
  "img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self'";

/**
 * The OpenAPI document generated from the route schemas, served as `/openapi.yaml` and
 * `/openapi.json`, and Swagger UI at `/docs`. Register before the routes: the spec is
 * collected as routes are added.
 */
export async function registerDocs(app: FastifyInstance) {
  await app.register(fastifySwagger, {
    openapi: openapiDocument,
    transform: transformRoute as never,
    transformObject: transformDocument as never,
  });
  // Its own scope: @fastify/static's refusals carry a `statusCode` the API's handler does not know.
  await app.register(async (scope) => {
    scope.setErrorHandler(staticFileErrorHandler);
    await scope.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: DOCS_CSP });
  });

  const schema = (format: 'YAML' | 'JSON', mediaType: string, body: z.ZodType) => ({
    tags: ['operations'],
    operationId: `getOpenApi${format === 'YAML' ? 'Yaml' : 'Json'}`,
    summary: `This API's OpenAPI 3.1 document (${format})`,
    description: 'Generated from the route schemas; the same as the committed `openapi.yaml`. Swagger UI at `/docs` reads it.',
    response: { 200: { description: `The document as ${format}`, content: { [mediaType]: { schema: body } } } },
  });
  app.get('/openapi.yaml', {
    schema: schema('YAML', 'application/yaml', z.string()),
    handler: async (_request, reply) => reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  });
  app.get('/openapi.json', {
    schema: schema('JSON', 'application/json', z.looseObject({ openapi: z.string() })),
    handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send(app.swagger()),
  });
}

/**
 * @fastify/send refuses a path with a NUL byte (400), one that leaves the root or is absolute
 * (403, e.g. `..%5c`) and a failed `If-Unmodified-Since` (412) with errors of its own; they were
 * 500s. Outside the root there is nothing to find, so 400 and 403 answer 404 like any missing file.
 */
function staticFileErrorHandler(this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  const mapped =
    status === 412
      ? new AppError('precondition-failed', 'The file was modified after the If-Unmodified-Since date.')
      : status >= 400 && status < 500
        ? new AppError('not-found', 'No such documentation file.')
        : error;
  return errorHandler.call(this, mapped as FastifyError, request, reply);
}
