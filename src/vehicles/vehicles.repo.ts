import type { Kysely, Selectable } from 'kysely';
import type { CredentialRestriction } from '../core/grant.js';
import { withinRestriction } from '../db/credential-restriction.js';
import type { DB, VehiclesTable } from '../db/schema.js';

export type VehicleRow = Selectable<VehiclesTable>;

/** A list page's keyset: the last vehicle's id (the list is sorted by id). */
export type VehicleListKey = readonly [id: string];

/** The cursor's member types, for the route that decodes it into a {@link VehicleListKey}. */
export const VEHICLE_LIST_KEY = ['string'] as const;

/**
 * SQL of the vehicles table. Every method takes the fleet id first. A restricted client's reads
 * (`restriction`) see only vehicles whose credential is inside it (docs/grants.md).
 */
export function createVehicleRepo(db: Kysely<DB>) {
  const inside = (restriction: CredentialRestriction, fleetId: string) =>
    withinRestriction(restriction, fleetId, { credentialId: 'vehicles.credentials_id' });

  return {
    async insert(row: VehicleRow): Promise<void> {
      await db.insertInto('vehicles').values(row).execute();
    },

    async findById(fleetId: string, id: string, restriction?: CredentialRestriction): Promise<VehicleRow | undefined> {
      let query = db.selectFrom('vehicles').selectAll().where('fleet_id', '=', fleetId).where('id', '=', id);
      if (restriction !== undefined) query = query.where(inside(restriction, fleetId));
      return query.executeTakeFirst();
    },

    async list(
      fleetId: string,
      filter: { credentialsId?: string; brand?: string; afterId?: string; limit: number; restriction?: CredentialRestriction | undefined },
    ): Promise<VehicleRow[]> {
      let query = db.selectFrom('vehicles').selectAll().where('fleet_id', '=', fleetId);
      if (filter.restriction !== undefined) query = query.where(inside(filter.restriction, fleetId));
      if (filter.credentialsId !== undefined) query = query.where('credentials_id', '=', filter.credentialsId);
      if (filter.brand !== undefined) query = query.where('telematics_brand', '=', filter.brand);
      if (filter.afterId !== undefined) query = query.where('id', '>', filter.afterId);
      return query.orderBy('id').limit(filter.limit).execute();
    },

    async update(
      fleetId: string,
      id: string,
      changes: Partial<Pick<VehicleRow, 'credentials_id' | 'vin' | 'name'>> & { updated_at: string },
    ): Promise<boolean> {
      const result = await db.updateTable('vehicles').set(changes).where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async delete(fleetId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('vehicles').where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },

    /** The credential a vehicle may reference: same fleet and brand, and inside `restriction` when given. */
    async credentialOfBrand(fleetId: string, brand: string, credentialId: string, restriction?: CredentialRestriction): Promise<boolean> {
      let query = db
        .selectFrom('credentials')
        .select('id')
        .where('fleet_id', '=', fleetId)
        .where('brand', '=', brand)
        .where('id', '=', credentialId);
      if (restriction !== undefined) {
        query = query.where(withinRestriction(restriction, fleetId, { credentialId: 'credentials.id', brand: 'credentials.brand' }));
      }
      return (await query.executeTakeFirst()) !== undefined;
    },
  };
}

export type VehicleRepo = ReturnType<typeof createVehicleRepo>;
