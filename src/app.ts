import fastifyJwt from '@fastify/jwt';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { ulid } from 'ulid';
import { registerBrandRoutes } from './brands/brands.routes.js';
import { registerCredentialRoutes } from './credentials/credentials.routes.js';
import type { Deps } from './deps.js';
import { registerAuth } from './http/auth.js';
import { errorHandler, notFoundHandler } from './http/error-handler.js';
import { registerHealthRoutes } from './http/health.routes.js';
import { redactPaths } from './http/logging.js';
import { zodValidatorCompiler } from './http/zod-validator.js';
import { createTokenService } from './tokens/token.service.js';
import { registerTokenRoutes } from './tokens/token.routes.js';
import { registerVehicleRoutes } from './vehicles/vehicles.routes.js';

export const BODY_LIMIT_BYTES = 64 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface BuildAppOptions {
  /** Fastify logger options or instance; defaults to pino JSON at the configured level. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
}

/** The whole HTTP API, wired from `deps`. Never listens: `server.ts` does. */
export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config, signingKey, services, clock, ids } = deps;
  const loggerOption =
    options.logger !== undefined && typeof options.logger === 'object' && options.logger !== null && 'child' in options.logger
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: options.logger ?? { level: config.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } } };
  const app = Fastify({
    ...loggerOption,
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    // Echo a caller's well-formed X-Request-Id so its logs and ours line up.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : ulid();
    },
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON only (DESIGN.md §2): any other body type is 415, not a string handed to validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    // Responses carry credential views and tokens: no cache may keep them.
    reply.header('cache-control', 'no-store');
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'fleetvault', version: '0.1.0', description: 'Credential vault for fleets: telematics makers\u2019 API credentials, encrypted at rest.' },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from POST /oauth/token' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  await app.register(fastifyJwt, {
    secret: { private: signingKey.privateKeyPem, public: signingKey.publicKeyPem },
    sign: { algorithm: 'ES256', kid: signingKey.kid },
    verify: {
      algorithms: ['ES256'],
      allowedIss: config.publicUrl,
      allowedAud: config.publicUrl,
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
      // Verified tokens are cached (fast-jwt): ES256 verification costs ~4x a cache hit.
      cache: true,
    },
  });
  registerAuth(app, (token) => app.jwt.verify<Record<string, unknown>>(token));

  const tokens = createTokenService({
    clients: services.clients,
    clock,
    ids,
    sign: (claims) => app.jwt.sign(claims),
    issuer: config.publicUrl,
    tokenTtlSeconds: config.tokenTtlSeconds,
  });

  // The whole API, on one screen.
  registerHealthRoutes(app, deps.database);
  registerBrandRoutes(app);
  registerTokenRoutes(app, tokens, { keys: [signingKey.publicJwk] });
  registerCredentialRoutes(app, services.credentials);
  registerVehicleRoutes(app, services.vehicles);

  await app.ready();
  return app;
}
