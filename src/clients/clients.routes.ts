import { z } from 'zod';
import { actorContext, principalOf } from '../http/auth.js';
import { validationFailed } from '../core/app-error.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import {
  clientCreateSchema,
  clientListQuerySchema,
  clientListSchema,
  clientParamsSchema,
  clientViewSchema,
  createdClientSchema,
  rotatedSecretSchema,
} from './clients.schemas.js';
import type { ClientService } from './clients.service.js';
import { cursorParam } from '../http/pagination-params.js';
import { CLIENT_LIST_KEY } from './clients.repo.js';

const tags = ['clients'];
const config = { scope: 'clients:manage' } as const;

/** `/clients` (docs/design.md §2.3): the fleet's API clients, secret or key (service accounts). */
export function registerClientRoutes(app: App, service: ClientService, options: { publicUrl: string }) {
  app.post('/clients', {
    config,
    schema: {
      tags,
      operationId: 'createClient',
      summary: 'Create a secret client or a key client (service account)',
      description:
        'A secret client\u2019s `client_secret` is shown once. A key client stores the given public key; without one, the vault ' +
        'generates a P-256 pair and returns the private key once, in High Mobility\u2019s key-file shape (`id`, `private_key`, ' +
        '`token_uri`, `instance_uri`, `inserted_at`, `fleet_id`, `scopes`). A client cannot hold scopes its creator lacks ' +
        '(403 insufficient-scope). `restrict` narrows the client to credentials of some brands and/or ids (docs/grants.md); ' +
        'a restricted client cannot hold clients:manage, audit:read or webhooks:manage (422).',
      security: bearerSecurity,
      body: clientCreateSchema,
      response: { 201: createdClientSchema.describe('Created: the client, with its secret or generated private key this once') },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const { kind, name, scopes, public_key, restrict } = request.body;
      let created: z.infer<typeof createdClientSchema>;
      if (kind === 'secret') {
        if (public_key !== undefined) throw validationFailed([{ pointer: '/public_key', detail: 'only key clients have a public key' }]);
        const client = await service.createSecretClient(actorContext(request), name, scopes, principal.scopes, restrict);
        created = { ...client.view, client_secret: client.client_secret };
      } else {
        const client = await service.createKeyClient(actorContext(request), name, scopes, public_key, principal.scopes, restrict);
        created =
          client.privateKeyPem === undefined
            ? client.view
            : {
                ...client.view,
                private_key: client.privateKeyPem,
                token_uri: `${options.publicUrl}/v1/auth_tokens`,
                instance_uri: options.publicUrl,
                inserted_at: client.view.created_at,
              };
      }
      return reply.code(201).header('location', `/clients/${created.id}`).send(created);
    },
  });

  app.get('/clients', {
    config,
    schema: {
      tags,
      operationId: 'listClients',
      summary: 'List the fleet\u2019s clients (no secrets)',
      description: 'Secret and key clients with their scopes, paged with `limit` and `cursor`; never a secret or a private key.',
      security: bearerSecurity,
      querystring: clientListQuerySchema,
      response: { 200: clientListSchema.describe('A page of clients; `next_cursor` is null on the last page') },
    },
    handler: async (request) => {
      const { cursor, ...query } = request.query;
      return service.list(principalOf(request).fleetId, { ...query, after: cursorParam(cursor, CLIENT_LIST_KEY) });
    },
  });

  app.get('/clients/:id', {
    config,
    schema: {
      tags,
      operationId: 'getClient',
      summary: 'Read a client',
      description: 'Its kind, name and scopes (and public key for a key client); never a secret. Another fleet\u2019s client is 404.',
      security: bearerSecurity,
      params: clientParamsSchema,
      response: { 200: clientViewSchema.describe('The client (no secret)'), ...problemResponses('not-found') },
    },
    handler: async (request) => service.get(principalOf(request).fleetId, request.params.id),
  });

  app.delete('/clients/:id', {
    config,
    schema: {
      tags,
      operationId: 'deleteClient',
      summary: 'Delete (revoke) a client',
      description: 'Its access tokens are refused (401 invalid-token) within 5 seconds on every replica.',
      security: bearerSecurity,
      params: clientParamsSchema,
      response: { 204: z.undefined().describe('Deleted; its tokens are refused from now on'), ...problemResponses('not-found') },
    },
    handler: async (request, reply) => {
      await service.delete(actorContext(request), request.params.id, principalOf(request).scopes);
      return reply.code(204).send();
    },
  });

  app.post('/clients/:id/secret', {
    config,
    schema: {
      tags,
      operationId: 'rotateClientSecret',
      summary: 'Rotate a secret client\u2019s secret',
      description:
        'The new secret is shown once; the old one stops working at once, and access tokens issued before the rotation ' +
        'are refused (401 invalid-token) within 5 seconds on every replica. A key client answers 409 conflicting-resource.',
      security: bearerSecurity,
      params: clientParamsSchema,
      response: {
        200: rotatedSecretSchema.describe('The new client secret, shown this once'),
        ...problemResponses('not-found', 'conflicting-resource'),
      },
    },
    handler: async (request) => {
      return service.rotateSecret(actorContext(request), request.params.id, principalOf(request).scopes);
    },
  });
}
