import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';

export interface DataKeyRow {
  fleet_id: string;
  kek_id: string;
  wrapped_key: Buffer;
  created_at: string;
}

export type StoredDataKey = Pick<DataKeyRow, 'fleet_id' | 'kek_id' | 'wrapped_key'>;

/** SQL of fleet_data_keys: one wrapped data key (DEK) per fleet. */
export function createDataKeyRepo(db: Kysely<DB>) {
  const columns = ['fleet_id', 'kek_id', 'wrapped_key'] as const;
  return {
    async insert(row: DataKeyRow): Promise<void> {
      await db.insertInto('fleet_data_keys').values(row).execute();
    },

    async find(fleetId: string): Promise<StoredDataKey | undefined> {
      return db.selectFrom('fleet_data_keys').select(columns).where('fleet_id', '=', fleetId).executeTakeFirst();
    },

    async all(): Promise<StoredDataKey[]> {
      return db.selectFrom('fleet_data_keys').select(columns).execute();
    },

    /** Keys wrapped by a master key other than `kekId`. */
    async wrappedByOtherThan(kekId: string): Promise<StoredDataKey[]> {
      return db.selectFrom('fleet_data_keys').select(columns).where('kek_id', '!=', kekId).execute();
    },

    /** Re-wraps one key if it is still under `fromKekId`; false when another rotation did it first. */
    async rewrap(fleetId: string, fromKekId: string, to: { kek_id: string; wrapped_key: Buffer }): Promise<boolean> {
      const result = await db
        .updateTable('fleet_data_keys')
        .set(to)
        .where('fleet_id', '=', fleetId)
        .where('kek_id', '=', fromKekId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type DataKeyRepo = ReturnType<typeof createDataKeyRepo>;
