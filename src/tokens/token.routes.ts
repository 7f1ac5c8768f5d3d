import formbody from '@fastify/formbody';
import { z } from 'zod';
import type { App } from '../http/route-types.js';
import { InvalidClient, InvalidRequest } from './oauth-errors.js';
import type { TokenService } from './token.service.js';

const tokenResponseSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('Bearer'),
  expires_in: z.number().int(),
  scope: z.string(),
});

const oauthErrorSchema = z.object({ error: z.string(), error_description: z.string() });

const tokenRequestSchema = z
  .object({
    grant_type: z.string().max(200).optional(),
    client_id: z.string().max(200).optional(),
    client_secret: z.string().max(1000).optional(),
    scope: z.string().max(1000).optional(),
  })
  .loose()
  .describe('application/x-www-form-urlencoded or application/json');

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret. */
function parseBasic(header: string | undefined) {
  if (header === undefined || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed HTTP Basic credentials');
  const formDecode = (s: string) => {
    try {
      return decodeURIComponent(s.replaceAll('+', ' '));
    } catch {
      throw new InvalidClient('malformed HTTP Basic credentials');
    }
  };
  return { clientId: formDecode(decoded.slice(0, colon)), clientSecret: formDecode(decoded.slice(colon + 1)) };
}

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

/** POST /oauth/token (RFC 6749 §4.4, §5) and the JWKS that verifies its tokens. */
export function registerTokenRoutes(app: App, service: TokenService, jwks: { keys: Record<string, unknown>[] }) {
  // Form bodies are only for the token endpoint (RFC 6749 §4.4.2); everything else is JSON.
  app.register(async (scope) => {
    await scope.register(formbody, { bodyLimit: 16_384 });
    scope.withTypeProvider<import('fastify-type-provider-zod').ZodTypeProvider>().post('/oauth/token', {
      config: { errorFormat: 'oauth' },
      schema: {
        tags: ['tokens'],
        summary: 'Get an access token (client credentials)',
        description: 'Client authentication by HTTP Basic or client_id/client_secret in the body. grant_type may also be sent in the query string.',
        querystring: z.object({ grant_type: z.string().max(200).optional() }).loose(),
        body: tokenRequestSchema.optional(),
        response: { 200: tokenResponseSchema, 400: oauthErrorSchema, 401: oauthErrorSchema },
      },
      handler: async (request, reply) => {
        const params = stringParams(request.body);
        const grantType = params.grant_type ?? (typeof request.query.grant_type === 'string' ? request.query.grant_type : undefined);
        const token = await service.token({ grantType, basic: parseBasic(request.headers.authorization), params });
        return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(token);
      },
    });
  });

  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['tokens'],
      summary: 'Public keys that verify the access tokens',
      response: { 200: z.object({ keys: z.array(z.record(z.string(), z.unknown())) }) },
    },
    handler: async () => jwks,
  });
}
