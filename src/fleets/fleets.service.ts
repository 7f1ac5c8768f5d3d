import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Keyring } from '../crypto/keyring.js';
import type { DB } from '../db/schema.js';
import type { Clock, IdGenerator } from '../http/clock.js';
import { parseOrThrow } from '../http/validation.js';

export const fleetNameSchema = z.string().trim().min(1).max(100);

export interface Fleet {
  id: string;
  name: string;
  created_at: string;
}

/** A fleet is born with its data key: both rows in one transaction, so no fleet lacks one. */
export function createFleetService(deps: { db: Kysely<DB>; keyring: Keyring; clock: Clock; ids: IdGenerator }) {
  const { db, keyring, clock, ids } = deps;
  return {
    async create(rawName: string): Promise<Fleet> {
      const name = parseOrThrow(fleetNameSchema, rawName, '/name');
      const fleet = { id: ids.next(), name, created_at: clock.now().toISOString() };
      const wrapped = keyring.newWrappedDataKey(fleet.id, fleet.created_at);
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('fleets').values(fleet).execute();
        await trx.insertInto('fleet_data_keys').values(wrapped).execute();
      });
      return fleet;
    },

    async exists(id: string): Promise<boolean> {
      return (await db.selectFrom('fleets').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('fleets').select('id').limit(1).executeTakeFirst()) === undefined;
    },
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
