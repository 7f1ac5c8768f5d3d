import { refuseMissingHost } from './http/missing-host.js';
import { registerAuditRoutes } from './audit/audit.routes.js';
import { registerCredentialSecretRoutes } from './credentials/credential-secrets.routes.js';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { registerBrandRoutes } from './brands/brands.routes.js';
import { registerClientRoutes } from './clients/clients.routes.js';
import { registerConsole } from './console/console.routes.js';
import { registerCredentialRoutes } from './credentials/credentials.routes.js';
import { registerCredentialWriteRoutes } from './credentials/credential-writes.routes.js';
import { registerEventRoutes } from './events/events.routes.js';
import { registerExchangeRoutes } from './exchange/exchange.routes.js';
import type { Deps } from './deps.js';
import { registerAuth } from './http/auth.js';
import { applyRequestTimeouts, clientErrorHandler } from './http/client-error.js';
import { refuseRequestsWhileClosing } from './http/closing.js';
import { registerCors } from './http/cors.js';
import { registerRateLimits } from './http/rate-limit.js';
import { registerDocs } from './http/docs.routes.js';
import { errorHandler, frameworkErrorHandler, notFoundHandler } from './http/error-handler.js';
import { registerHealthRoutes } from './http/health.routes.js';
import { registerProblemRoutes } from './http/problems.routes.js';
import { redactPaths } from './logging.js';
import { registerMetrics } from './http/metrics.js';
import { registerRequestLog } from './http/request-log.js';
import { responseSerializerCompiler } from './http/response-serializer.js';
import { parseJsonStrict } from './core/validation.js';
import { zodValidatorCompiler } from './http/zod-validator.js';
import { registerAuthTokenRoutes } from './tokens/auth-tokens.routes.js';
import { registerTokenRoutes } from './tokens/token.routes.js';
import { registerPeopleRoutes } from './people/people.routes.js';
import { registerSignInRoutes } from './sign-in/sign-in.routes.js';
import { registerVehicleRoutes } from './vehicles/vehicles.routes.js';
import { registerWebhookRoutes } from './webhooks/webhooks.routes.js';

/**
 * Deliberate HTTP limits (README "Operations"). The largest legitimate body is a credential
 * with an 8 KiB secret and a 16 KiB PEM key; 64 KiB leaves room and refuses the rest with 413.
 */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** A request must arrive whole within this by default (slow-loris guard; FLEETVAULT_REQUEST_TIMEOUT_MS); handlers are short. */
export const REQUEST_TIMEOUT_MS = 30_000;
/** Idle keep-alive sockets close after this: above the 60 s idle timeout of common load balancers, so they close first. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** Socket inactivity limit; above the keep-alive timeout so it never cuts a reusable connection short. */
export const CONNECTION_TIMEOUT_MS = 70_000;

export interface BuildAppOptions {
  /** Fastify logger options or instance; defaults to pino JSON at the configured level. */
  logger?: FastifyServerOptions['logger'] | FastifyServerOptions['loggerInstance'];
}

/** The whole HTTP API, wired from `deps`. Never listens: `server.ts` does. */
export async function buildApp(deps: Deps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const { config, signingKeys, services, metrics } = deps;
  const loggerOption =
    options.logger !== undefined && typeof options.logger === 'object' && options.logger !== null && 'child' in options.logger
      ? { loggerInstance: options.logger as FastifyServerOptions['loggerInstance'] }
      : { logger: options.logger ?? { level: config.logLevel, redact: { paths: redactPaths, censor: '[redacted]' } } };
  const app = Fastify({
    ...loggerOption,
    bodyLimit: BODY_LIMIT_BYTES,
    // An address list: proxy-addr takes the right-most X-Forwarded-For entry that is not a trusted proxy.
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    // Router failures (bad percent-encoding, over-long ids) answer problem+json with a request id too.
    frameworkErrors: frameworkErrorHandler,
    // The HTTP parser's own refusals answer problem+json too (docs/design.md §2.5).
    clientErrorHandler,
    // One line per request from registerRequestLog instead of fastify's two; `request_id` as in problem bodies.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
    // Always our own id (a ULID): a caller's X-Request-Id is kept apart, as client_request_id (src/http/client-request-id.ts).
    genReqId: () => deps.requestIds.next(),
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.requestTimeoutMs,
    // Off: its 503 is fastify's own JSON body; refuseRequestsWhileClosing answers problem+json instead (docs/design.md §2.5).
    return503OnClosing: false,
    // Node answers an HTTP/1.1 request without Host with its own empty 400; refuseMissingHost answers problem+json instead.
    ...({ http: { requireHostHeader: false } } satisfies { http: import('node:http').ServerOptions }),
  }).withTypeProvider<ZodTypeProvider>();
  applyRequestTimeouts(app.server, config.requestTimeoutMs);

  // JSON only (docs/design.md §2): any other body type is 415, not a string handed to validation.
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
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(responseSerializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerRequestLog(app);

  // One synchronous hook for what every request needs first (docs/performance.md: each async hook costs a promise and a
  // microtask turn per request; a callback hook that throws is answered through the error handler all the same).
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    refuseMissingHost(request.raw);
    reply.header('x-content-type-options', 'nosniff');
    // Responses carry credential views and tokens: no cache may keep them.
    reply.header('cache-control', 'no-store');
    // DELETE takes no body: many clients send their usual Content-Type on every request, and an empty
    // DELETE must not become a 400 (empty JSON) or 415 because of it.
    if (request.method === 'DELETE') {
      const { headers } = request.raw;
      if (headers['transfer-encoding'] === undefined && (headers['content-length'] ?? '0') === '0') delete headers['content-type'];
    }
    done();
  });

  await registerCors(app, config.corsOrigins);
  // After CORS (a browser may read the refusal), before the rate limits and authentication.
  refuseRequestsWhileClosing(app);
  await registerDocs(app);
  registerMetrics(app, metrics, { serveMetrics: config.metricsPort === undefined });
  // The per-address limit runs before authentication: a forged token is refused without a signature check once over it.
  await registerRateLimits(app, config);
  registerAuth(app, deps.verifyAccessToken, deps.tokenRefusal);

  // The whole API, on one screen.
  registerHealthRoutes(app, deps.database, deps.keyring.checkMasterKeys);
  registerProblemRoutes(app);
  registerBrandRoutes(app);
  registerTokenRoutes(app, services.tokens, () => signingKeys.jwks(), metrics.authenticationFailures, services.signIn?.device);
  registerAuthTokenRoutes(app, services.tokens, metrics.authenticationFailures);
  registerClientRoutes(app, services.clients, { publicUrl: config.publicUrl });
  registerCredentialRoutes(app, services.credentials);
  registerCredentialWriteRoutes(app, services.credentials, services.exchange);
  registerCredentialSecretRoutes(app, services.credentialSecrets);
  registerExchangeRoutes(app, services.exchange);
  registerVehicleRoutes(app, services.vehicles);
  registerAuditRoutes(app, services.audit);
  registerEventRoutes(app, services.watch);
  registerPeopleRoutes(app, services.signInRules, services.personSignIn);
  registerSignInRoutes(app, services.signIn);
  registerWebhookRoutes(app, services.webhooks, services.webhookDeliveries);
  await registerConsole(app);

  await app.ready();
  return app;
}
