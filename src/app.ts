import fastifyJwt from '@fastify/jwt';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerBrandRoutes } from './brands/brands.routes.js';
import { createClientLiveness } from './clients/client-liveness.js';
import { registerClientRoutes } from './clients/clients.routes.js';
import { registerConsole } from './console/console.routes.js';
import { registerCredentialRoutes } from './credentials/credentials.routes.js';
import type { Deps } from './deps.js';
import { ulidGenerator } from './http/clock.js';
import { registerAuth } from './http/auth.js';
import { registerCors } from './http/cors.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerDocs } from './http/docs.routes.js';
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './http/error-handler.js';
import { registerHealthRoutes } from './http/health.routes.js';
import { redactPaths } from './http/logging.js';
import { countCredentialChanges, countTokens, createMetrics, type Metrics, registerMetrics } from './http/metrics.js';
import { registerRequestLog } from './http/request-log.js';
import { parseJsonStrict } from './http/validation.js';
import { zodValidatorCompiler } from './http/zod-validator.js';
import { createAssertionVerifier } from './tokens/assertion.js';
import { registerAuthTokenRoutes } from './tokens/auth-tokens.routes.js';
import { createJtiStore } from './tokens/jti-store.js';
import { createTokenService } from './tokens/token.service.js';
import { registerTokenRoutes } from './tokens/token.routes.js';
import { registerVehicleRoutes } from './vehicles/vehicles.routes.js';

/**
 * Deliberate HTTP limits (README "Operations"). The largest legitimate body is a credential
 * with an 8 KiB secret and a 16 KiB PEM key; 64 KiB leaves room and refuses the rest with 413.
 */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** A request must arrive whole within this (slow-loris guard); handlers themselves are short. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive sockets close after this: above the 60 s idle timeout of common load balancers, so they close first. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Socket inactivity limit; above the keep-alive timeout so it never cuts a reusable connection short. */
export const CONNECTION_TIMEOUT_MS = 70_000;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// ulid()'s default source draws random bytes one character at a time (~200 µs per id, half a GET's
// CPU in the benchmark); the monotonic factory draws once per millisecond (~1 µs).
const requestIds = ulidGenerator();

export interface BuildAppOptions {
  /** Fastify logger options or instance; defaults to pino JSON at the configured level. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
  /** The app's metrics (server.ts passes them to serve METRICS_PORT); a fresh registry otherwise. */
  metrics?: Metrics;
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
    // fastify accepts a hop count at run time (lib/request.js) though its types list only boolean | string.
    trustProxy: config.trustProxy as boolean | string,
    requestIdHeader: false,
    // Router failures (bad percent-encoding, over-long ids) answer problem+json with a request id too.
    frameworkErrors: frameworkErrorHandler,
    // One line per request from registerRequestLog instead of fastify's two; `request_id` as in problem bodies.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Echo a caller's well-formed X-Request-Id so its logs and ours line up.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : requestIds.next();
    },
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON only (DESIGN.md §2): any other body type is 415, not a string handed to validation.
  app.removeContentTypeParser('text/plain');
  // Strict JSON: a duplicate member would silently drop a value (see parseJsonStrict).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonStrict(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  // DELETE takes no body: many clients send their usual Content-Type on every request, and an empty
  // DELETE must not become a 400 (empty JSON) or 415 because of it.
  app.addHook('onRequest', async (request) => {
    const { headers } = request.raw;
    if (request.method === 'DELETE' && headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0') {
      delete headers['content-type'];
    }
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerRequestLog(app);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    // Responses carry credential views and tokens: no cache may keep them.
    reply.header('cache-control', 'no-store');
  });

  await registerCors(app, config.corsOrigins);
  await registerDocs(app);
  const metrics = options.metrics ?? createMetrics();
  registerMetrics(app, metrics, { serveMetrics: config.metricsPort === undefined });

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
  const liveness = createClientLiveness({ clock, isLive: async (id) => (await services.clients.findLive(id)) !== undefined });
  registerAuth(app, (token) => app.jwt.verify<Record<string, unknown>>(token), liveness.isLive);
  await registerRateLimits(app, config);

  const tokens = countTokens(createTokenService({
    clients: services.clients,
    clock,
    ids,
    sign: (claims) => app.jwt.sign(claims),
    issuer: config.publicUrl,
    tokenTtlSeconds: config.tokenTtlSeconds,
    verifyAssertion: createAssertionVerifier({
      clock,
      jtis: createJtiStore(deps.database.db),
      findIssuer: services.clients.findIssuer,
      // RFC 7523 §3 item 3: the public URL, HM's /v1 base, or either token endpoint.
      audiences: [config.publicUrl, `${config.publicUrl}/v1`, `${config.publicUrl}/v1/auth_tokens`, `${config.publicUrl}/oauth/token`],
      maxSkewSeconds: config.assertionMaxSkewSeconds,
    }),
  }), metrics);

  // The whole API, on one screen.
  registerHealthRoutes(app, deps.database);
  registerBrandRoutes(app);
  registerTokenRoutes(app, tokens, { keys: [signingKey.publicJwk] });
  registerAuthTokenRoutes(app, tokens);
  registerClientRoutes(app, services.clients, { publicUrl: config.publicUrl, liveness });
  registerCredentialRoutes(app, countCredentialChanges(services.credentials, metrics));
  registerVehicleRoutes(app, services.vehicles);
  await registerConsole(app);

  await app.ready();
  return app;
}
