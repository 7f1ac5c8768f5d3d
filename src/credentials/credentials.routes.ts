import { z } from 'zod';
import type { FastifyReply } from 'fastify';
import { AppError } from '../core/app-error.js';
import { pageJson } from '../core/pagination.js';
import { actorContext, grantOf, principalOf } from '../http/auth.js';
import type { App } from '../http/route-types.js';
import { bearerSecurity, problemResponses } from '../http/route-types.js';
import type { CredentialListQuery, CredentialService } from './credentials.service.js';
import { requireBrand } from '../brands/brand-registry.js';
import { cursorParam } from '../http/pagination-params.js';
import { CREDENTIAL_LIST_KEY } from './credentials.repo.js';
import { credentialEtag } from './etag.js';
import {
  brandParamsSchema,
  credentialListQuerySchema,
  credentialListSchema,
  credentialParamsSchema,
  credentialViewSchema,
} from './credentials.schemas.js';

const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional() }).loose();
const brandListQuery = credentialListQuerySchema.omit({ brand: true });
const tags = ['credentials'];
/** INVERS-style `/{brand}/credentials` (docs/design.md §2.1): reads and delete; create and rotate are credential-writes.routes.ts. */
export function registerCredentialRoutes(app: App, service: CredentialService) {
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
    handler: async (request, reply) =>
      sendPage(reply, await service.list(grantOf(request), request.params.brand, listQuery(request.params.brand, request.query))),
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
    handler: async (request, reply) => {
      const { brand, ...query } = request.query;
      return sendPage(reply, await service.list(grantOf(request), brand, listQuery(brand, query)));
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
 * A list page as the JSON it already is: its items were written by the engine and `listItemJson`, from the declared
 * members only, so the route's serializer is not run over them again. The schema above still documents the body.
 */
function sendPage(reply: FastifyReply, page: Parameters<typeof pageJson>[0]) {
  return reply.type('application/json; charset=utf-8').send(pageJson(page) as never);
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
