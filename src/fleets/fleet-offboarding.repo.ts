import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

/**
 * SQL of fleet offboarding (docs/design.md §3): what a fleet still holds, and deleting its rows. The two
 * credential tables are the credentials repository's (`countOfFleet`, `deleteOfFleet`); the order of the
 * whole sweep is fleets.service's `delete`.
 */
export function createFleetOffboardingRepo(db: Kysely<DB>) {
  async function countVehicles(fleetId: string): Promise<number> {
    const row = await db
      .selectFrom('vehicles')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('fleet_id', '=', fleetId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  return {
    countVehicles,

    /**
     * Destroys the fleet's data keys (crypto-shredding): from here on no sealed value of the fleet opens.
     * Returns the master key id that wrapped each destroyed key.
     */
    async destroyDataKeys(fleetId: string): Promise<string[]> {
      const rows = await db.deleteFrom('fleet_data_keys').where('fleet_id', '=', fleetId).returning('kek_id').execute();
      return rows.map((row) => row.kek_id);
    },

    /** Deletes the fleet's API clients: no new token is issued for it, and issued ones are refused within 5 s. */
    async deleteClients(fleetId: string): Promise<void> {
      await db.deleteFrom('api_clients').where('fleet_id', '=', fleetId).execute();
    },

    /** Deletes the fleet's vehicles: first, since they reference its credentials. */
    async deleteVehicles(fleetId: string): Promise<void> {
      await db.deleteFrom('vehicles').where('fleet_id', '=', fleetId).execute();
    },

    /**
     * Deletes the rest of the fleet once its vehicles and credentials are gone (`deleteVehicles`, then the
     * credentials repository's `deleteOfFleet`), children before parents: clients, idempotency records, its audit
     * chain and head, its data keys, the fleet itself. `withHistory: false` keeps the audit chain (a plain
     * delete: the history outlives the fleet).
     */
    async deleteRows(fleetId: string, options: { withHistory: boolean }): Promise<void> {
      await db.deleteFrom('api_clients').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('idempotency_keys').where('fleet_id', '=', fleetId).execute();
      if (options.withHistory) {
        await db.deleteFrom('audit_events').where('chain', '=', fleetId).execute();
        await db.deleteFrom('audit_heads').where('chain', '=', fleetId).execute();
      }
      await db.deleteFrom('fleet_data_keys').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('fleets').where('id', '=', fleetId).execute();
    },
  };
}

export type FleetOffboardingRepo = ReturnType<typeof createFleetOffboardingRepo>;
