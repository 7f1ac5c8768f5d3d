import type { z } from 'zod';
import { findBrand } from '../brands/brand-registry.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import { isForeignKeyViolation, isUniqueViolation } from '../db/db-errors.js';
import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { Store } from '../db/store.js';
import { AppError, notFound, validationFailed } from '../core/app-error.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import { pageOf } from '../core/pagination.js';
import type { VehicleListKey, VehicleRepo, VehicleRow } from './vehicles.repo.js';
import type { vehicleCreateSchema, vehicleListQuerySchema, vehiclePatchSchema, VehicleView } from './vehicles.schemas.js';

function toVehicleView(row: VehicleRow): VehicleView {
  return {
    id: row.id,
    telematics_brand: row.telematics_brand,
    telematics_unit_id: row.telematics_unit_id,
    credentials_id: row.credentials_id,
    vin: row.vin,
    name: row.name,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function brandOrValidationError(raw: string, pointer: string): string {
  const brand = findBrand(raw);
  if (brand === undefined) throw validationFailed([{ pointer, detail: `is not a known brand (see GET /brands)` }]);
  return brand.slug;
}

const credentialMismatch = (brand: string) =>
  validationFailed([{ pointer: '/credentials_id', detail: `must name a ${brand} credential of this fleet` }]);

/** The list's filters and page; `after` is the sort key the route decoded from `?cursor=`. */
export type VehicleListQuery = Omit<z.infer<typeof vehicleListQuerySchema>, 'cursor'> & { after?: VehicleListKey | undefined };

export function createVehicleService(deps: {
  store: Store<{ vehicles: VehicleRepo; audit: AuditRepo; webhookDeliveries: AuditOutbox }>;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}) {
  const { store, clock, ids, audit } = deps;
  const repo = store.repos.vehicles;

  const vehicleEvent = (context: ActorContext, row: Pick<VehicleRow, 'id' | 'telematics_brand'>) => ({
    fleetId: context.fleetId,
    actor: context.actor,
    target: { type: 'vehicle', id: row.id, brand: row.telematics_brand },
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
  });

  /** The vehicle, if it is the grant's fleet's and its credential inside the grant's restriction; else 404. */
  async function load(grant: Grant, id: string): Promise<VehicleRow> {
    const row = await repo.findById(grant.fleetId, id.toUpperCase(), grant.restriction);
    if (row === undefined) throw notFound('Vehicle');
    return row;
  }

  return {
    async create(context: ActorContext, input: z.infer<typeof vehicleCreateSchema>): Promise<VehicleView> {
      const { fleetId } = context;
      const brand = brandOrValidationError(input.telematics_brand, '/telematics_brand');
      const now = clock.now().toISOString();
      const row: VehicleRow = {
        id: ids.next(),
        fleet_id: fleetId,
        telematics_brand: brand,
        telematics_unit_id: input.telematics_unit_id,
        credentials_id: input.credentials_id,
        vin: input.vin ?? null,
        name: input.name ?? null,
        created_at: now,
        updated_at: now,
      };
      try {
        await store.transaction(
          async (repos) => {
            const tx = repos.vehicles;
            // A credential outside a restricted client's grant is refused as a missing one would be.
            if (!(await tx.credentialOfBrand(fleetId, brand, input.credentials_id, context.restriction))) throw credentialMismatch(brand);
            await tx.insert(row);
            await audit.append(repos, {
              ...vehicleEvent(context, row),
              action: 'vehicle.created',
              details: { credentials_id: row.credentials_id },
            });
          },
          { fleetId },
        );
      } catch (error) {
        if (isUniqueViolation(error, 'vehicles_fleet_brand_unit')) {
          throw new AppError(
            'unique-identifier-already-exists',
            `A ${brand} vehicle with this telematics_unit_id already exists in this fleet.`,
          );
        }
        // The credential was deleted between the check and the insert (possible across replicas).
        if (isForeignKeyViolation(error)) throw credentialMismatch(brand);
        throw error;
      }
      return toVehicleView(row);
    },

    async get(grant: Grant, id: string): Promise<VehicleView> {
      return toVehicleView(await load(grant, id));
    },

    async list(grant: Grant, query: VehicleListQuery) {
      const afterId = query.after?.[0];
      const brand =
        query.telematics_brand === undefined ? undefined : brandOrValidationError(query.telematics_brand, '/query/telematics_brand');
      const rows = await repo.list(grant.fleetId, {
        restriction: grant.restriction,
        credentialsId: query.credentials_id,
        brand,
        afterId,
        limit: query.limit + 1,
      });
      return pageOf(rows, query.limit, toVehicleView, (r) => [r.id]);
    },

    async update(context: ActorContext, id: string, input: z.infer<typeof vehiclePatchSchema>): Promise<VehicleView> {
      const { fleetId } = context;
      // An empty PATCH is a client mistake (a dropped field), as for credentials: say so rather than only bump updated_at.
      if (Object.values(input).every((value) => value === undefined)) {
        throw validationFailed([{ pointer: '', detail: 'give at least one of: credentials_id, vin, name' }]);
      }
      const current = await load(context, id);
      const changes = {
        ...(input.credentials_id !== undefined && { credentials_id: input.credentials_id }),
        ...(input.vin !== undefined && { vin: input.vin }),
        ...(input.name !== undefined && { name: input.name }),
        updated_at: clock.now().toISOString(),
      };
      try {
        await store.transaction(
          async (repos) => {
            const tx = repos.vehicles;
            if (
              input.credentials_id !== undefined &&
              !(await tx.credentialOfBrand(fleetId, current.telematics_brand, input.credentials_id, context.restriction))
            ) {
              throw credentialMismatch(current.telematics_brand);
            }
            if (!(await tx.update(fleetId, current.id, changes))) throw notFound('Vehicle');
            await audit.append(repos, {
              ...vehicleEvent(context, current),
              action: 'vehicle.updated',
              details: {
                credentials_id: input.credentials_id ?? current.credentials_id,
                previous_credentials_id: current.credentials_id,
                fields: Object.keys(changes).filter((field) => field !== 'updated_at'),
              },
            });
          },
          { fleetId },
        );
      } catch (error) {
        if (isForeignKeyViolation(error)) throw credentialMismatch(current.telematics_brand);
        throw error;
      }
      return toVehicleView((await repo.findById(fleetId, current.id))!);
    },

    async delete(context: ActorContext, id: string): Promise<void> {
      await store.transaction(
        async (repos) => {
          const current = await repos.vehicles.findById(context.fleetId, id.toUpperCase(), context.restriction);
          if (current === undefined || !(await repos.vehicles.delete(context.fleetId, current.id))) throw notFound('Vehicle');
          await audit.append(repos, {
            ...vehicleEvent(context, current),
            action: 'vehicle.deleted',
            details: { credentials_id: current.credentials_id },
          });
        },
        { fleetId: context.fleetId },
      );
    },
  };
}

export type VehicleService = ReturnType<typeof createVehicleService>;
