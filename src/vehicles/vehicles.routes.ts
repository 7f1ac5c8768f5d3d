import { z } from 'zod';
import { actorContext, grantOf } from '../http/auth.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import type { VehicleService } from './vehicles.service.js';
import { cursorParam } from '../http/pagination-params.js';
import { VEHICLE_LIST_KEY } from './vehicles.repo.js';
import {
  vehicleCreateSchema,
  vehicleListQuerySchema,
  vehicleListSchema,
  vehicleParamsSchema,
  vehiclePatchSchema,
  vehicleViewSchema,
} from './vehicles.schemas.js';

const tags = ['vehicles'];

/** Vehicles hold the references to credentials (docs/design.md §2.2). */
export function registerVehicleRoutes(app: App, service: VehicleService) {
  app.post('/vehicles', {
    config: { scope: 'vehicles:write' },
    schema: {
      tags,
      operationId: 'createVehicle',
      summary: 'Add a vehicle',
      description:
        '`credentials_id` must name a credential of the same brand in this fleet (else 422); `(telematics_brand, telematics_unit_id)` ' +
        'is unique ' +
        'in the fleet (409 `unique-identifier-already-exists`). Its URL is in `Location`.',
      security: bearerSecurity,
      body: vehicleCreateSchema,
      response: { 201: vehicleViewSchema.describe('Added: the vehicle'), ...problemResponses('unique-identifier-already-exists') },
    },
    handler: async (request, reply) => {
      const view = await service.create(actorContext(request), request.body);
      return reply.code(201).header('location', `/vehicles/${view.id}`).send(view);
    },
  });

  app.get('/vehicles', {
    config: { scope: 'vehicles:read' },
    schema: {
      tags,
      operationId: 'listVehicles',
      summary: 'List vehicles',
      description: 'Filtered by `credentials_id` or `telematics_brand`, keyset paged with `limit` and `cursor` like credentials.',
      security: bearerSecurity,
      querystring: vehicleListQuerySchema,
      response: { 200: vehicleListSchema.describe('A page of vehicles; `next_cursor` is null on the last page') },
    },
    handler: async (request) => {
      const { cursor, ...query } = request.query;
      return service.list(grantOf(request), { ...query, after: cursorParam(cursor, VEHICLE_LIST_KEY) });
    },
  });

  app.get('/vehicles/:id', {
    config: { scope: 'vehicles:read' },
    schema: {
      tags,
      operationId: 'getVehicle',
      summary: 'Read a vehicle',
      description: 'Another fleet\u2019s vehicle, or one whose credential is outside the client\u2019s restriction, is 404.',
      security: bearerSecurity,
      params: vehicleParamsSchema,
      response: { 200: vehicleViewSchema.describe('The vehicle'), ...problemResponses('not-found') },
    },
    handler: async (request) => service.get(grantOf(request), request.params.id),
  });

  app.patch('/vehicles/:id', {
    config: { scope: 'vehicles:write' },
    schema: {
      tags,
      operationId: 'updateVehicle',
      summary: 'Reassign a vehicle to another credential of its brand, or rename it',
      description: 'A new `credentials_id` must name a credential of the vehicle\u2019s brand in this fleet (else 422).',
      security: bearerSecurity,
      params: vehicleParamsSchema,
      body: vehiclePatchSchema,
      response: { 200: vehicleViewSchema.describe('The updated vehicle'), ...problemResponses('not-found') },
    },
    handler: async (request) => service.update(actorContext(request), request.params.id, request.body),
  });

  app.delete('/vehicles/:id', {
    config: { scope: 'vehicles:write' },
    schema: {
      tags,
      operationId: 'deleteVehicle',
      summary: 'Delete a vehicle',
      description: 'Its credential\u2019s `vehicle_count` goes down by one; a credential no vehicle references can be deleted.',
      security: bearerSecurity,
      params: vehicleParamsSchema,
      response: { 204: z.undefined().describe('Deleted'), ...problemResponses('not-found') },
    },
    handler: async (request, reply) => {
      await service.delete(actorContext(request), request.params.id);
      return reply.code(204).send();
    },
  });
}
