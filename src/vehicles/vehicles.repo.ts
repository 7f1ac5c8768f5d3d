import type { Kysely, Selectable } from 'kysely';
import type { Engine } from '../db/database.js';
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
 * (`restriction`) see only vehicles whose credential is inside it (docs/grants.md). The writes keep each
 * credential's `vehicle_count` (docs/design.md §2.1) in their own statements, so call them inside a unit of work
 * (`store.transaction`): the vehicle and the counts then commit together.
 */
export function createVehicleRepo(db: Kysely<DB>, engine: Engine) {
  const inside = (restriction: CredentialRestriction, fleetId: string) =>
    withinRestriction(restriction, fleetId, { credentialId: 'vehicles.credentials_id' });
  // An increment of the row as it is when the statement gets its lock (PostgreSQL re-reads a row changed by a
  // concurrent commit before updating it), so concurrent changes of one credential's vehicles all count.
  const count = async (fleetId: string, credentialId: string, by: 1 | -1) => {
    await db
      .updateTable('credentials')
      .set((eb) => ({ vehicle_count: eb('vehicle_count', '+', by) }))
      .where('fleet_id', '=', fleetId)
      .where('id', '=', credentialId)
      .execute();
  };

  return {
    async insert(row: VehicleRow): Promise<void> {
      await db.insertInto('vehicles').values(row).execute();
      await count(row.fleet_id, row.credentials_id, 1);
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
      let before: string | undefined;
      if (changes.credentials_id !== undefined) {
        // The credential it references now, read under the row's lock on PostgreSQL (a concurrent move of the same
        // vehicle waits for this one, then reads what this one wrote); SQLite runs one unit at a time.
        let query = db.selectFrom('vehicles').select('credentials_id').where('fleet_id', '=', fleetId).where('id', '=', id);
        if (engine === 'postgres') query = query.forUpdate();
        before = (await query.executeTakeFirst())?.credentials_id;
      }
      const result = await db.updateTable('vehicles').set(changes).where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      const after = changes.credentials_id;
      if (before !== undefined && after !== undefined && before !== after) {
        // Both rows in id order: two moves in opposite directions lock them in the same order, never a deadlock.
        const moves = (
          [
            [before, -1],
            [after, 1],
          ] as const
        ).toSorted(([a], [b]) => (a < b ? -1 : 1));
        for (const [credentialId, by] of moves) await count(fleetId, credentialId, by);
      }
      return true;
    },

    async delete(fleetId: string, id: string): Promise<boolean> {
      const deleted = await db
        .deleteFrom('vehicles')
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .returning('credentials_id')
        .executeTakeFirst();
      if (deleted === undefined) return false;
      await count(fleetId, deleted.credentials_id, -1);
      return true;
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
