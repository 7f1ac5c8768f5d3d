import { z } from 'zod';
import { actorContext, grantOf } from '../http/auth.js';
import type { App } from '../http/route-types.js';
import { bearerSecurity, problemResponses, problemSchema, withProblemTypes } from '../http/route-types.js';
import { brands, exchangeAdapters } from '../brands/brand-registry.js';
import { credentialParamsSchema } from '../credentials/credentials.schemas.js';
import type { ExchangeService } from './exchange.service.js';

const tags = ['credentials'];

/** RFC 6749 §3.3: scope tokens are %x21 / %x23-5B / %x5D-7E, separated by spaces. */
const scopeSchema = z
  .string()
  .min(1)
  .max(1000)
  .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, 'must be space-separated scope tokens (RFC 6749 §3.3)');

/** "a, b and c": the brands a description names, from the catalogue. */
const named = (slugs: string[]) => (slugs.length < 2 ? slugs.join('') : `${slugs.slice(0, -1).join(', ')} and ${slugs.at(-1)}`);
const scoped = [...exchangeAdapters.values()].filter((adapter) => adapter.takesScope).map((adapter) => adapter.brand);
const withoutExchange = brands.filter((brand) => brand.exchange === null).map((brand) => brand.slug);

/** The fields brands add to their answers (Geotab's session), declared by their adapters. */
const answerExtras = Object.fromEntries(
  [...exchangeAdapters.values()].flatMap((adapter) =>
    Object.entries(adapter.answerExtras ?? {}).map(([field, description]) => [
      field,
      z.string().optional().describe(`${adapter.brand}: ${description}`),
    ]),
  ),
);

const exchangeBodySchema = z
  .strictObject({ scope: scopeSchema.optional().describe(`Only where the brand takes scopes (${scoped.join(', ')})`) })
  // No body at all reaches the handler as null.
  .nullish()
  .describe('Empty, or {"scope": "…"} for brands that take scopes');

export const exchangeAnswerSchema = z.object({
  access_token: z.string().describe("The brand's token: send it to the brand, never back to the vault"),
  token_type: z.string(),
  expires_at: z.string().describe('UTC ISO-8601 timestamp'),
  expires_in: z.number().int().describe('Seconds left until expires_at'),
  scope: z.string().optional(),
  secret_version: z.number().int().describe('The secret version the token was obtained with'),
  cached: z.boolean().describe('True when served from the vault\u2019s cache without calling the brand'),
  ...answerExtras,
});

/** 503: the brand's breaker is open or the brand asked to come back later (both with Retry-After), or the vault's own outage. */
const unavailable503 = withProblemTypes(
  {
    description: '/problems/brand-unavailable (with Retry-After), /problems/service-unavailable',
    content: { 'application/problem+json': { schema: problemSchema } },
  },
  ['brand-unavailable'],
);

const exampleAnswer = {
  access_token: 'eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9…',
  token_type: 'bearer',
  expires_at: '2026-11-23T10:05:00.000Z',
  expires_in: 300,
  scope: 'fleet:clearance vehicle:data',
  secret_version: 1,
  cached: false,
};

/** Brand token exchange and, for brands whose entry declares one, the public-key route (docs/design.md §2.9). */
export function registerExchangeRoutes(app: App, exchange: ExchangeService) {
  app.post('/:brand/credentials/:id/token', {
    config: { scope: 'credentials:exchange' },
    schema: {
      tags,
      operationId: 'exchangeCredentialToken',
      summary: "Obtain the brand's access token with the stored secrets (the secrets never leave)",
      description:
        'The vault sends the brand\u2019s documented token request with the stored secrets and answers only the token, cached per ' +
        'credential and secret version. Each answer is a `credential.exchanged` audit event committed before it is sent. ' +
        `${named(withoutExchange)} have no exchange (409 exchange-not-supported).`,
      security: bearerSecurity,
      params: credentialParamsSchema,
      body: exchangeBodySchema,
      response: {
        200: exchangeAnswerSchema.meta({
          description: 'The brand\u2019s token (from the cache when `cached` is true)',
          examples: [exampleAnswer],
        }),
        ...problemResponses(
          'not-found',
          'unknown-brand',
          'exchange-not-supported',
          'brand-rejected-credentials',
          'brand-unavailable',
          'brand-timeout',
        ),
        503: unavailable503,
      },
    },
    handler: async (request) => {
      const { brand, id } = request.params;
      // A 503's Retry-After (breaker open, or the brand said when) is rendered by the error handler.
      return exchange.exchange(actorContext(request), brand, id, request.body?.scope ?? undefined);
    },
  });

  for (const brand of brands) {
    if (brand.publicKey === undefined) continue;
    const { operationId, summary, description } = brand.publicKey;
    app.get(`/${brand.slug}/credentials/:id/public-key`, {
      config: { scope: 'credentials:read' },
      schema: {
        tags,
        operationId,
        summary,
        description,
        security: bearerSecurity,
        params: z.strictObject({ id: z.string().max(256) }),
        response: {
          200: { description: 'PEM (SubjectPublicKeyInfo)', content: { 'application/x-pem-file': { schema: z.string() } } },
          ...problemResponses('not-found'),
        },
      },
      handler: async (request, reply) => {
        const pem = await exchange.publicKey(grantOf(request), brand.slug, request.params.id);
        return reply.type('application/x-pem-file').send(pem);
      },
    });
  }
}
