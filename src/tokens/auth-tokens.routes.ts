import formbody from '@fastify/formbody';
import type { Counter } from 'prom-client';
import type { FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../core/app-error.js';
import { clientRequestId } from '../http/client-request-id.js';
import type { ErrorFormat } from '../http/error-handler.js';
import { type App, problemResponses } from '../http/route-types.js';
import { OAuthError } from './oauth-errors.js';
import { countTokenEndpointFailures } from './token.metrics.js';
import type { TokenService } from './token.service.js';
import { claimedTokenClient } from './token-request.js';

/**
 * High Mobility's error body (`{"errors":[{title, detail, source}]}`), so a client written for
 * HM's service-account flow reads our failures as it reads theirs.
 */
const hmErrorSchema = z.object({
  errors: z.array(z.object({ title: z.string(), detail: z.string(), source: z.string().optional() })),
});

const authTokenSchema = z.object({
  auth_token: z.string(),
  valid_from: z.string().describe('ISO-8601 UTC'),
  valid_until: z.string().describe('ISO-8601 UTC'),
});

function sendHmError(reply: FastifyReply, status: number, title: string, detail: string, source?: string) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ errors: [{ title, detail, ...(source !== undefined && { source }) }] });
}

/** Every failure of this route in HM's shape; server failures fall back to problem+json 5xx. */
const hmErrorFormat: ErrorFormat = {
  send(error, _problem, reply) {
    if (error instanceof OAuthError) {
      // invalid_grant: the assertion was refused (RFC 7523 §3.1 reasons), so the caller is not authenticated.
      const status = error.error === 'invalid_grant' ? 401 : error.status;
      return sendHmError(reply, status, status === 401 ? 'Unauthorized' : 'Bad request', error.description, 'assertion');
    }
    if (error instanceof AppError && error.status < 500) {
      return sendHmError(reply, error.status, error.code === 'too-many-requests' ? 'Too many requests' : 'Bad request', error.detail);
    }
    if (!(error instanceof AppError) && error.statusCode !== undefined && error.statusCode < 500) {
      const detail = error.statusCode === 415 ? 'Send the body as application/json or a form.' : 'The request could not be parsed.';
      return sendHmError(reply, error.statusCode, 'Bad request', detail);
    }
    return undefined;
  },
};

/** `POST /v1/auth_tokens`: High Mobility's service-account token request, unchanged apart from the base URL. */
export function registerAuthTokenRoutes(app: App, service: TokenService, failures: Counter<'reason'>) {
  app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 16_384 });
    countTokenEndpointFailures(scope, failures);
    scope.withTypeProvider<ZodTypeProvider>().post('/v1/auth_tokens', {
      config: { errorFormat: hmErrorFormat, rateLimitClass: 'token', claimedClient: claimedTokenClient },
      schema: {
        tags: ['tokens'],
        operationId: 'issueAuthToken',
        summary: 'Get an access token for a key client assertion (High Mobility service-account flow)',
        description:
          'Body `{"assertion": "<ES256 JWT>"}` as JSON or a form. The assertion: iss = key client id, aud = the public URL (or ' +
          'its /v1, or a token endpoint URL), iat within the allowed skew, jti single-use. Errors use High Mobility\u2019s ' +
          '`{"errors":[…]}` body.',
        body: z
          .object({ assertion: z.string().max(8192).optional() })
          .loose()
          .optional(),
        response: {
          201: authTokenSchema.describe('An access token (`auth_token`) and its validity, as High Mobility answers'),
          400: hmErrorSchema.describe('The body has no usable assertion'),
          401: hmErrorSchema.describe('The assertion was refused (signature, claims, replayed jti or unknown key client)'),
          429: hmErrorSchema.describe('Too many token requests from this address or for this client'),
          // Server failures are problem+json (hmErrorFormat declines them).
          ...problemResponses('internal-server-error', 'service-unavailable'),
        },
      },
      handler: async (request, reply) => {
        const assertion = (request.body as { assertion?: unknown } | undefined)?.assertion;
        if (typeof assertion !== 'string' || assertion === '') {
          return sendHmError(
            reply,
            400,
            'Bad request',
            'assertion is required: a JWT signed with the service account\u2019s private key',
            'assertion',
          );
        }
        const token = await service.authToken(assertion, request.id, clientRequestId(request));
        return reply
          .code(201)
          .header('cache-control', 'no-store')
          .send({ auth_token: token.auth_token, valid_from: token.valid_from.toISOString(), valid_until: token.valid_until.toISOString() });
      },
    });
  });
}
