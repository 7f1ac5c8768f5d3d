import { z } from 'zod';
import { AppError } from '../core/app-error.js';
import { actorContext, grantOf, principalOf } from '../http/auth.js';
import type { App } from '../http/route-types.js';
import { bearerSecurity, problemResponses } from '../http/route-types.js';
import type { ExchangeService } from '../exchange/exchange.service.js';
import type { CredentialListQuery, CredentialService } from './credentials.service.js';
import { brands, requireBrand } from '../brands/brand-registry.js';
import { cursorParam } from '../http/pagination-params.js';
import { CREDENTIAL_LIST_KEY } from './credentials.repo.js';
import { idempotencyKeySchema } from './idempotency.js';
import { credentialEtag } from './etag.js';
import {
  brandBodySchema,
  brandParamsSchema,
  credentialListQuerySchema,
  credentialListSchema,
  credentialParamsSchema,
  credentialViewSchema,
} from './credentials.schemas.js';

// docs/design.md §2.9 verify on write: exchange with the new secrets first; a refusal stores nothing.
const verifyQuery = z.object({
  verify: z.enum(['true', 'false']).optional().describe('true: exchange with the brand first; a refusal is 422 and stores nothing'),
});
// Each verifying write calls the brand with the given secrets: its own small limit (rate-limit.ts), or it would be a password oracle.
const callsBrand = (request: { query: unknown }) => (request.query as { verify?: string }).verify === 'true';
const verifyProblems = ['credentials-rejected-by-brand', 'exchange-not-supported', 'brand-unavailable', 'brand-timeout'] as const;
const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional() }).loose();
const brandListQuery = credentialListQuerySchema.omit({ brand: true });
const tags = ['credentials'];
// The credential the OpenAPI document shows: the first catalogue entry that gives an example.
const exampleBrand = brands.find((brand) => brand.example !== undefined);
const example = exampleBrand?.example ?? { name: 'Depot', values: {} };
const bodyExample = { name: example.name, ...example.values };
const viewExample = {
  id: '01F6Z8N4V2Q3R5T7W9X1Y3Z5A7',
  brand: exampleBrand?.slug,
  name: example.name,
  // The view shows identity and setting fields, never a secret.
  ...Object.fromEntries(Object.entries(example.values).filter(([field]) => !exampleBrand?.secretFields.includes(field))),
  secret_version: 1,
  vehicle_count: 0,
  created_at: '2026-11-23T10:00:00.000Z',
  updated_at: '2026-11-23T10:00:00.000Z',
  secret_updated_at: '2026-11-23T10:00:00.000Z',
  status: 'unknown',
  status_checked_at: null,
};

/** INVERS-style `/{brand}/credentials` (docs/design.md §2.1). */
export function registerCredentialRoutes(app: App, service: CredentialService, exchange: Pick<ExchangeService, 'verify'>) {
  const verifier = (request: Parameters<typeof actorContext>[0], query: { verify?: string | undefined }) =>
    query.verify === 'true'
      ? (input: Parameters<ExchangeService['verify']>[1]) => exchange.verify(actorContext(request), input)
      : undefined;
  app.post('/:brand/credentials', {
    config: { scope: 'credentials:write', callsBrand },
    schema: {
      tags,
      operationId: 'createCredential',
      summary: 'Store a credential of a brand',
      description:
        'The body holds `name` (optional) and the brand\u2019s identity, setting and secret fields (see `GET /brands`); unknown ' +
        'fields are 422. ' +
        'The secrets are sealed at rest and never returned. Answers the credential view with its URL in `Location` and its `ETag`. ' +
        'A client restricted to other brands gets 404, one restricted to credential ids 403 (docs/grants.md).',
      security: bearerSecurity,
      params: brandParamsSchema,
      querystring: verifyQuery,
      headers: z
        .object({
          'idempotency-key': idempotencyKeySchema
            .optional()
            .describe(
              'Retries with the same key and body within 24 h answer the first response; another body is 422 idempotency-key-reused',
            ),
        })
        .loose(),
      body: brandBodySchema.meta({ examples: [bodyExample] }),
      response: {
        201: credentialViewSchema.meta({ description: 'Stored: the credential view (no secret)', examples: [viewExample] }),
        ...problemResponses(
          'unknown-brand',
          'not-found',
          'name-already-exists',
          'limit-exceeded',
          'idempotency-key-reused',
          ...verifyProblems,
        ),
      },
    },
    handler: async (request, reply) => {
      const verify = verifier(request, request.query);
      const view = await service.create(
        actorContext(request),
        request.params.brand,
        request.body,
        request.headers['idempotency-key'],
        verify,
      );
      return reply.code(201).header('location', `/${view.brand}/credentials/${view.id}`).header('etag', credentialEtag(view)).send(view);
    },
  });

  app.get('/:brand/credentials', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'listBrandCredentials',
      summary: "List a brand's credentials",
      description:
        'Sorted by name (case-insensitive, unnamed last) then id; `name` matches exactly, `q` by substring; keyset paging with `limit` ' +
        'and `cursor`. A restricted client sees only the credentials inside its restriction.',
      security: bearerSecurity,
      params: brandParamsSchema,
      querystring: brandListQuery,
      response: {
        200: credentialListSchema.describe('A page of credential views; `next_cursor` is null on the last page'),
        ...problemResponses('unknown-brand'),
      },
    },
    handler: async (request) => service.list(grantOf(request), request.params.brand, listQuery(request.params.brand, request.query)),
  });

  app.get('/credentials', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'listCredentials',
      summary: 'List credentials across brands',
      description: 'As `listBrandCredentials`, over every brand of the fleet; `brand` narrows it to one.',
      security: bearerSecurity,
      querystring: credentialListQuerySchema,
      response: {
        200: credentialListSchema.describe('A page of credential views; `next_cursor` is null on the last page'),
        ...problemResponses('unknown-brand'),
      },
    },
    handler: async (request) => {
      const { brand, ...query } = request.query;
      return service.list(grantOf(request), brand, listQuery(brand, query));
    },
  });

  app.get('/:brand/credentials/:id', {
    config: { scope: 'credentials:read' },
    schema: {
      tags,
      operationId: 'getCredential',
      summary: 'Read a credential (never its secrets)',
      description:
        'The credential view with an `ETag` to send as `If-Match` on a later rotation or delete. Another fleet\u2019s credential, ' +
        'or one outside the client\u2019s restriction (docs/grants.md), is 404.',
      security: bearerSecurity,
      params: credentialParamsSchema,
      response: {
        200: credentialViewSchema.describe('The credential view (no secret), with its `ETag`'),
        ...problemResponses('not-found', 'unknown-brand'),
      },
    },
    handler: async (request, reply) => {
      const view = await service.get(grantOf(request), request.params.brand, request.params.id);
      return reply.header('etag', credentialEtag(view)).send(view);
    },
  });

  app.patch('/:brand/credentials/:id', {
    config: { scope: 'credentials:write', callsBrand },
    schema: {
      tags,
      operationId: 'rotateCredentialSecret',
      summary: "Rotate a credential's secrets",
      description:
        'Accepts only the brand\u2019s rotatable secret fields; any other field is 422 (a different client_id is a different ' +
        'credential). ' +
        '`secret_version` goes up by one and the earlier secrets are kept as a version. A stale `If-Match` is 412.',
      security: bearerSecurity,
      params: credentialParamsSchema,
      querystring: verifyQuery,
      headers: ifMatchHeaders,
      body: brandBodySchema.meta({ examples: [{ client_secret: 'rotated-secret' }] }),
      response: {
        200: credentialViewSchema.describe('Rotated: the credential view with the new `secret_version` and `ETag`'),
        ...problemResponses('not-found', 'unknown-brand', 'precondition-failed', ...verifyProblems),
      },
    },
    handler: async (request, reply) => {
      const { brand, id } = request.params;
      const verify = verifier(request, request.query);
      const view = await service.rotate(actorContext(request), brand, id, request.body, request.headers['if-match'], verify);
      return reply.header('etag', credentialEtag(view)).send(view);
    },
  });

  app.delete('/:brand/credentials/:id', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      operationId: 'deleteCredential',
      summary: 'Delete a credential no vehicle references',
      description:
        'Refused with 409 `conflicting-resource` (with `vehicle_count` and the first 20 `vehicle_ids`) while vehicles reference it; ' +
        'nothing is deleted then. ' +
        'A stale `If-Match` is 412.',
      security: bearerSecurity,
      params: credentialParamsSchema,
      headers: ifMatchHeaders,
      response: {
        204: z.undefined().describe('Deleted, with its kept secret versions'),
        ...problemResponses('not-found', 'unknown-brand', 'conflicting-resource', 'precondition-failed'),
      },
    },
    handler: async (request, reply) => {
      const { brand, id } = request.params;
      const principal = principalOf(request);
      try {
        await service.delete(actorContext(request), brand, id, request.headers['if-match']);
      } catch (error) {
        throw withoutVehicleIdsUnless(principal.scopes.includes('vehicles:read'), error);
      }
      return reply.code(204).send();
    },
  });
}

/**
 * The 409 of a blocked DELETE lists the referencing vehicles' ids only to a caller that may read
 * vehicles; `vehicle_count` alone tells the others why (least privilege).
 */
function withoutVehicleIdsUnless(mayReadVehicles: boolean, error: unknown): unknown {
  if (mayReadVehicles || !(error instanceof AppError) || !('vehicle_ids' in error.extensions)) return error;
  const { vehicle_ids: _hidden, ...extensions } = error.extensions;
  return new AppError(error.code, error.detail, extensions);
}

/**
 * The list query with `?cursor=` decoded into the sort key the service pages after. The brand is checked first so an
 * unknown brand stays 404 whatever the cursor, as when the service decoded it.
 */
function listQuery(brand: string | undefined, { cursor, ...query }: Omit<CredentialListQuery, 'after'> & { cursor?: string | undefined }) {
  if (brand !== undefined) requireBrand(brand);
  return { ...query, after: cursorParam(cursor, CREDENTIAL_LIST_KEY) } satisfies CredentialListQuery;
}
