import { z } from 'zod';
import { principalOf } from '../http/auth.js';
import type { App } from '../http/route-types.js';
import { bearerSecurity } from '../http/route-types.js';
import type { CredentialService } from './credentials.service.js';
import { credentialEtag } from './credentials.service.js';
import {
  brandBodySchema,
  brandParamsSchema,
  credentialListQuerySchema,
  credentialListSchema,
  credentialParamsSchema,
  credentialViewSchema,
} from './credentials.schemas.js';

const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional() }).loose();
const brandListQuery = credentialListQuerySchema.omit({ brand: true });
const tags = ['credentials'];

/** INVERS-style `/{brand}/credentials` (DESIGN.md §2.1). */
export function registerCredentialRoutes(app: App, service: CredentialService) {
  app.post('/:brand/credentials', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      summary: 'Store a credential of a brand',
      security: bearerSecurity,
      params: brandParamsSchema,
      body: brandBodySchema,
      response: { 201: credentialViewSchema },
    },
    handler: async (request, reply) => {
      const view = await service.create(principalOf(request).fleetId, request.params.brand, request.body);
      return reply.code(201).header('location', `/${view.brand}/credentials/${view.id}`).header('etag', credentialEtag(view)).send(view);
    },
  });

  app.get('/:brand/credentials', {
    config: { scope: 'credentials:read' },
    schema: { tags, summary: "List a brand's credentials", security: bearerSecurity, params: brandParamsSchema, querystring: brandListQuery, response: { 200: credentialListSchema } },
    handler: async (request) => service.list(principalOf(request).fleetId, request.params.brand, request.query),
  });

  app.get('/credentials', {
    config: { scope: 'credentials:read' },
    schema: { tags, summary: 'List credentials across brands', security: bearerSecurity, querystring: credentialListQuerySchema, response: { 200: credentialListSchema } },
    handler: async (request) => {
      const { brand, ...query } = request.query;
      return service.list(principalOf(request).fleetId, brand, query);
    },
  });

  app.get('/:brand/credentials/:id', {
    config: { scope: 'credentials:read' },
    schema: { tags, summary: 'Read a credential (never its secrets)', security: bearerSecurity, params: credentialParamsSchema, response: { 200: credentialViewSchema } },
    handler: async (request, reply) => {
      const view = await service.get(principalOf(request).fleetId, request.params.brand, request.params.id);
      return reply.header('etag', credentialEtag(view)).send(view);
    },
  });

  app.patch('/:brand/credentials/:id', {
    config: { scope: 'credentials:write' },
    schema: {
      tags,
      summary: "Rotate a credential's secrets",
      security: bearerSecurity,
      params: credentialParamsSchema,
      headers: ifMatchHeaders,
      body: brandBodySchema,
      response: { 200: credentialViewSchema },
    },
    handler: async (request, reply) => {
      const { brand, id } = request.params;
      const view = await service.rotate(principalOf(request).fleetId, brand, id, request.body, request.headers['if-match']);
      return reply.header('etag', credentialEtag(view)).send(view);
    },
  });

  app.delete('/:brand/credentials/:id', {
    config: { scope: 'credentials:write' },
    schema: { tags, summary: 'Delete a credential no vehicle references', security: bearerSecurity, params: credentialParamsSchema, headers: ifMatchHeaders, response: { 204: z.undefined() } },
    handler: async (request, reply) => {
      const { brand, id } = request.params;
      await service.delete(principalOf(request).fleetId, brand, id, request.headers['if-match']);
      return reply.code(204).send();
    },
  });
}
