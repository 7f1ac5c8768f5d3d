import type { Kysely, Selectable } from 'kysely';
import type { DB, VehiclesTable } from '../db/schema.js';

export type VehicleRow = Selectable<VehiclesTable>;

/** SQL of the vehicles table. Every method takes the fleet id first. */
export function createVehicleRepo(db: Kysely<DB>) {
  return {
    async insert(row: VehicleRow): Promise<void> {
      await db.insertInto('vehicles').values(row).execute();
    },

    async findById(fleetId: string, id: string): Promise<VehicleRow | undefined> {
      return db.selectFrom('vehicles').selectAll().where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
    },

    async list(
      fleetId: string,
      filter: { credentialsId?: string; brand?: string; afterId?: string; limit: number },
    ): Promise<VehicleRow[]> {
      let query = db.selectFrom('vehicles').selectAll().where('fleet_id', '=', fleetId);
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

    /** The credential a vehicle may reference: same fleet and brand. */
    async credentialOfBrand(fleetId: string, brand: string, credentialId: string): Promise<boolean> {
      const row = await db
        .selectFrom('credentials')
        .select('id')
        .where('fleet_id', '=', fleetId)
        .where('brand', '=', brand)
        .where('id', '=', credentialId)
        .executeTakeFirst();
      return row !== undefined;
    },
  };
}
