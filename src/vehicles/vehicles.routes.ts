import { z } from 'zod';
import { actorContext, principalOf } from '../http/auth.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import type { VehicleService } from './vehicles.service.js';
import {
  vehicleCreateSchema,
  vehicleListQuerySchema,
  vehicleListSchema,
  vehicleParamsSchema,
  vehiclePatchSchema,
  vehicleViewSchema,
} from './vehicles.schemas.js';

const tags = ['vehicles'];

/** Vehicles hold the references to credentials (DESIGN.md §2.2). */
export function registerVehicleRoutes(app: App, service: VehicleService) {
  app.post('/vehicles', {
    config: { scope: 'vehicles:write' },
    schema: { tags, summary: 'Add a vehicle', security: bearerSecurity, body: vehicleCreateSchema, response: { 201: vehicleViewSchema, ...problemResponses('unique-identifier-already-exists') } },
    handler: async (request, reply) => {
      const view = await service.create(actorContext(request), request.body);
      return reply.code(201).header('location', `/vehicles/${view.id}`).send(view);
    },
  });

  app.get('/vehicles', {
    config: { scope: 'vehicles:read' },
    schema: { tags, summary: 'List vehicles', security: bearerSecurity, querystring: vehicleListQuerySchema, response: { 200: vehicleListSchema } },
    handler: async (request) => service.list(principalOf(request).fleetId, request.query),
  });

  app.get('/vehicles/:id', {
    config: { scope: 'vehicles:read' },
    schema: { tags, summary: 'Read a vehicle', security: bearerSecurity, params: vehicleParamsSchema, response: { 200: vehicleViewSchema, ...problemResponses('not-found') } },
    handler: async (request) => service.get(principalOf(request).fleetId, request.params.id),
  });

  app.patch('/vehicles/:id', {
    config: { scope: 'vehicles:write' },
    schema: {
      tags,
      summary: 'Reassign a vehicle to another credential of its brand, or rename it',
      security: bearerSecurity,
      params: vehicleParamsSchema,
      body: vehiclePatchSchema,
      response: { 200: vehicleViewSchema, ...problemResponses('not-found') },
    },
    handler: async (request) => service.update(actorContext(request), request.params.id, request.body),
  });

  app.delete('/vehicles/:id', {
    config: { scope: 'vehicles:write' },
    schema: { tags, summary: 'Delete a vehicle', security: bearerSecurity, params: vehicleParamsSchema, response: { 204: z.undefined(), ...problemResponses('not-found') } },
    handler: async (request, reply) => {
      await service.delete(actorContext(request), request.params.id);
      return reply.code(204).send();
    },
  });
}
