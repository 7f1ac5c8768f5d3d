import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { forgetActiveDataKey } from '../crypto/data-keys.repo.js';
import { forgetSubscriptions } from '../webhooks/webhooks.repo.js';

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
      forgetActiveDataKey(db, fleetId);
      return rows.map((row) => row.kek_id);
    },

    /**
     * Deletes the fleet's API clients and sign-in rules: no new token is issued for it, and issued ones (a
     * client's, a person's) are refused within 5 s. The people stay: they may belong to other fleets.
     */
    async deleteClients(fleetId: string): Promise<void> {
      await db.deleteFrom('api_clients').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('sign_in_rules').where('fleet_id', '=', fleetId).execute();
    },

    /** Deletes the fleet's vehicles: first, since they reference its credentials. */
    async deleteVehicles(fleetId: string): Promise<void> {
      await db.deleteFrom('vehicles').where('fleet_id', '=', fleetId).execute();
    },

    /**
     * Deletes the rest of the fleet once its vehicles and credentials are gone (`deleteVehicles`, then the
     * credentials repository's `deleteOfFleet`), children before parents: webhooks with their secrets and
     * deliveries, clients, sign-in rules, its people links (and people of no other fleet), idempotency records,
     * its audit chain and head, its data keys, the fleet itself. `withHistory: false` keeps the audit chain (a
     * plain delete: the history outlives the fleet).
     */
    async deleteRows(fleetId: string, options: { withHistory: boolean }): Promise<void> {
      await db.deleteFrom('webhook_deliveries').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('webhook_secrets').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('webhooks').where('fleet_id', '=', fleetId).execute();
      forgetSubscriptions(db, fleetId);
      await db.deleteFrom('api_clients').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('sign_in_rules').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('fleet_people').where('fleet_id', '=', fleetId).execute();
      // A person of no other fleet leaves with it (their email and name are personal data: docs/people.md).
      await db
        .deleteFrom('people')
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('fleet_people').select('person_id').whereRef('person_id', '=', 'people.id'))),
        )
        .execute();
      await db.deleteFrom('idempotency_keys').where('fleet_id', '=', fleetId).execute();
      if (options.withHistory) {
        await db.deleteFrom('audit_events').where('chain', '=', fleetId).execute();
        await db.deleteFrom('audit_heads').where('chain', '=', fleetId).execute();
      }
      await db.deleteFrom('fleet_data_keys').where('fleet_id', '=', fleetId).execute();
      forgetActiveDataKey(db, fleetId);
      await db.deleteFrom('fleets').where('id', '=', fleetId).execute();
    },
  };
}

export type FleetOffboardingRepo = ReturnType<typeof createFleetOffboardingRepo>;
