import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import formbody from '@fastify/formbody';
import type { Counter } from 'prom-client';
import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { AppError } from '../core/app-error.js';
import type { ErrorFormat } from '../http/error-handler.js';
import { type App, problemResponses, tokenEndpointSecurity } from '../http/route-types.js';
import { clientRequestId } from '../http/client-request-id.js';
import {
  FleetRequired,
  InvalidClient,
  InvalidGrant,
  InvalidRequest,
  OAuthError,
  ServerError,
  TemporarilyUnavailable,
  TooManyRequests,
} from './oauth-errors.js';
import { claimedTokenClient, parseBasic } from './token-request.js';
import { countTokenEndpointFailures } from './token.metrics.js';
import type { TokenService } from './token.service.js';

const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
  fleet_id: z.string().optional().describe('A person\u2019s token (authorization_code, device_code): the fleet it acts in'),
  person: z
    .object({ id: z.string(), label: z.string(), email: z.string().nullable(), name: z.string().nullable() })
    .optional()
    .describe('A person\u2019s token: who signed in (docs/sign-in.md)'),
});

const oauthErrorSchema = z.object({
  error: z.string(),
  error_description: z.string(),
  fleets: z
    .array(z.object({ id: z.string(), name: z.string() }))
    .optional()
    .describe('invalid_request of a person whose rules match several fleets: the fleets to choose from (send `fleet`)'),
});

const deviceAuthorizationSchema = z.object({
  device_code: z.string(),
  user_code: z.string(),
  verification_uri: z.string(),
  verification_uri_complete: z.string(),
  expires_in: z.number().int(),
  interval: z.number().int(),
});

/** The device authorization endpoint's service (RFC 8628 §3.1), undefined when person sign-in is off. */
export interface DeviceAuthorizationEndpoint {
  authorize(params: Record<string, string>): Promise<z.infer<typeof deviceAuthorizationSchema>>;
}

const tokenRequestSchema = z
  .object({
    grant_type: z.string().max(200).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(1000).optional(),
    scope: z.string().max(1000).optional(),
    assertion: z
      .string()
      .max(8192)
      .optional()
      .describe('RFC 7523 §2.1: the ES256 JWT of a key client (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer)'),
    client_assertion_type: z
      .string()
      .max(200)
      .optional()
      .describe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer (private_key_jwt, RFC 7523 §2.2)'),
    client_assertion: z.string().max(8192).optional().describe('RFC 7523 §2.2: the ES256 JWT authenticating a key client'),
  })
  .loose()
  .describe('application/x-www-form-urlencoded or application/json');

/** Only string parameters: a JSON body with a number or array for a parameter is malformed. */
function stringParams(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequest('the body must be a form or a JSON object');
  const params: Record<string, string> = {};
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    // RFC 6749 §3.2: parameters MUST NOT be included more than once.
    if (Array.isArray(value)) throw new InvalidRequest(`parameter ${key.slice(0, 50)} appears more than once`);
    if (typeof value !== 'string') throw new InvalidRequest(`parameter ${key.slice(0, 50)} must be a string`);
    params[key] = value;
  }
  return params;
}

/** RFC 6749 §5.2 body, with `WWW-Authenticate` for invalid_client's 401 (§5.2) and no caching (§5.1). */
function sendOAuthError(reply: FastifyReply, error: OAuthError) {
  if (error.status === 401) reply.header('www-authenticate', 'Basic realm="fleetvault"');
  return reply
    .code(error.status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: error.error, error_description: error.description, ...(error instanceof FleetRequired && { fleets: error.fleets }) });
}

/** Failures of other layers (parsing, rate limits, the database) by class: never by message text. */
function toOAuthError(error: AppError): OAuthError {
  if (error.status === 429) return new TooManyRequests(error.detail);
  if (error.status === 503) return new TemporarilyUnavailable('the service is temporarily unavailable; retry shortly');
  if (error.status >= 500) return new ServerError('the server could not complete the request');
  return new InvalidRequest(error.detail);
}

/** The token endpoint keeps RFC 6749 §5.2 bodies for every failure, even a parse error. */
export const oauthErrorFormat: ErrorFormat = {
  // A route that is off (person sign-in without a provider) answers 404 problem+json like any unknown route.
  send: (error, problem, reply) =>
    error instanceof AppError && error.code === 'not-found'
      ? undefined
      : sendOAuthError(reply, error instanceof OAuthError ? error : toOAuthError(problem())),
};

/** POST /oauth/token (RFC 6749 §4.4, §5) and the JWKS that verifies its tokens. */
export function registerTokenRoutes(
  app: App,
  service: TokenService,
  jwks: () => { keys: Record<string, unknown>[] },
  failures: Counter<'reason'>,
  device: DeviceAuthorizationEndpoint | undefined,
) {
  // Form bodies are only for the token endpoint (RFC 6749 §4.4.2); everything else is JSON.
  app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 16_384 });
    countTokenEndpointFailures(scope, failures);
    scope.withTypeProvider<ZodTypeProvider>().post('/oauth/token', {
      config: { errorFormat: oauthErrorFormat, rateLimitClass: 'token', claimedClient: claimedTokenClient },
      schema: {
        tags: ['tokens'],
        operationId: 'issueToken',
        summary: 'Get an access token (client credentials, jwt-bearer; a person\u2019s code or device code)',
        security: tokenEndpointSecurity,
        description:
          'grant_type=client_credentials with HTTP Basic, client_id/client_secret in the body, or client_assertion ' +
          '(private_key_jwt, ES256, RFC 7523 §2.2); or grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with assertion ' +
          '(RFC 7523 §2.1). grant_type may also be sent in the query string. With person sign-in on (docs/sign-in.md): ' +
          'grant_type=authorization_code with client_id=fleetvault-console, code, redirect_uri, code_verifier (RFC 7636) and ' +
          '`fleet` when the person\u2019s rules match several (else 400 invalid_request listing `fleets`); ' +
          'grant_type=urn:ietf:params:oauth:grant-type:device_code with client_id=fleetvault-cli and device_code (RFC 8628 §3.4), ' +
          'answering authorization_pending, slow_down, access_denied or expired_token (400) until approved.',
        querystring: z.object({ grant_type: z.string().max(200).optional() }).loose(),
        // nullish: INVERS clients send grant_type in the query, HTTP Basic, and no body at all.
        body: tokenRequestSchema.nullish(),
        response: {
          200: tokenResponseSchema.describe('An access token (RFC 6749 §5.1), a JWT the vault signed; send it as `Authorization: Bearer`'),
          400: oauthErrorSchema.describe(
            'RFC 6749 §5.2: invalid_request, invalid_grant, invalid_scope or unsupported_grant_type; RFC 8628 §3.5: ' +
              'authorization_pending, slow_down, access_denied, expired_token',
          ),
          401: oauthErrorSchema.describe(
            'RFC 6749 §5.2 invalid_client: the client failed to authenticate (with `WWW-Authenticate: Basic`)',
          ),
          429: oauthErrorSchema.describe('slow_down (RFC 8628 §3.5, the nearest registered code): over the rate limit; see `Retry-After`'),
          500: oauthErrorSchema.describe('RFC 6749 §5.2 server_error: the server could not complete the request'),
          503: oauthErrorSchema.describe('RFC 6749 §5.2 temporarily_unavailable: the database does not answer; retry shortly'),
        },
      },
      handler: async (request, reply) => {
        const params = stringParams(request.body);
        const grantType = params.grant_type ?? (typeof request.query.grant_type === 'string' ? request.query.grant_type : undefined);
        const basic = parseBasic(request.headers.authorization);
        let token;
        try {
          token = await service.token({ grantType, basic, params, requestId: request.id, clientRequestId: clientRequestId(request) });
        } catch (error) {
          // Failed client authentications are counted in the log, by client id and reason, never with what was presented.
          if (error instanceof InvalidClient || error instanceof InvalidGrant) {
            request.log.warn(
              {
                event: 'client-authentication-failed',
                client_id: claimedTokenClient(request),
                grant_type: grantType?.slice(0, 100),
                reason: error.error,
              },
              'client authentication failed',
            );
          }
          throw error;
        }
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
      },
    });

    scope.withTypeProvider<ZodTypeProvider>().post('/oauth/device_authorization', {
      config: { errorFormat: oauthErrorFormat, rateLimitClass: 'token', claimedClient: () => undefined },
      schema: {
        tags: ['tokens'],
        operationId: 'authorizeDevice',
        summary: 'Start a person\u2019s sign-in on a device without a browser (RFC 8628)',
        description:
          'client_id=fleetvault-cli and an optional `fleet`. The person opens verification_uri (or verification_uri_complete), ' +
          'signs in at the identity provider and confirms the user code; meanwhile the device polls POST /oauth/token with ' +
          'grant_type=urn:ietf:params:oauth:grant-type:device_code every `interval` seconds. 404 when person sign-in is off.',
        body: tokenRequestSchema.nullish(),
        response: {
          200: deviceAuthorizationSchema.describe('RFC 8628 §3.2: the device code to poll with and the user code to show'),
          400: oauthErrorSchema.describe('RFC 6749 §5.2 invalid_request'),
          401: oauthErrorSchema.describe('RFC 6749 §5.2 invalid_client: client_id is not fleetvault-cli'),
          ...problemResponses('not-found'),
          429: oauthErrorSchema.describe('slow_down: over the rate limit; see `Retry-After`'),
          503: oauthErrorSchema.describe('temporarily_unavailable: the database does not answer; retry shortly'),
        },
      },
      handler: async (request, reply) => {
        if (device === undefined) throw new AppError('not-found', 'Person sign-in is off: the vault has no identity provider.');
        const answer = await device.authorize(stringParams(request.body));
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(answer);
      },
    });
  });

  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['tokens'],
      operationId: 'getJwks',
      summary: 'Public keys that verify the access tokens',
      description:
        'The JWK Set (RFC 7517 §5) of the ES256 keys that sign access tokens; during a signing-key rotation it holds the old and the ' +
        'new key.',
      response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }).describe('The JWK Set') },
    },
    handler: async () => jwks(),
  });
}
