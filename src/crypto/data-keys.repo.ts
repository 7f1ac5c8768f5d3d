import type { Kysely } from 'kysely';
import { compiledQuery } from '../db/compiled-query.js';
import type { Engine } from '../db/database.js';
import { batchMemo } from '../db/batch-memo.js';
import type { DB } from '../db/schema.js';

export interface DataKeyRow {
  id: string;
  fleet_id: string;
  kek_id: string;
  wrapped_key: Buffer;
  created_at: string;
}

export type StoredDataKey = Pick<DataKeyRow, 'id' | 'fleet_id' | 'kek_id' | 'wrapped_key'>;

const columns = ['id', 'fleet_id', 'kek_id', 'wrapped_key'] as const;

// Read by every seal (a create, a rotation), in the unit that writes what it seals: compiled once (src/db/compiled-query.ts).
const activeQuery = compiledQuery(['fleetId'], (db, v) =>
  db
    .selectFrom('fleet_data_keys')
    .select(columns)
    .where('fleet_id', '=', v.fleetId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1),
);

/** The key of a fleet's active data key in the batch memo (group-commit.ts). */
const activeMemoKey = (fleetId: string) => `data-key:${fleetId}`;

/**
 * Every statement that adds or removes a fleet's data keys calls this after it, on the executor it ran on: in a
 * group commit the batch's later units then read the active key again. Nothing outside a batch.
 */
export function forgetActiveDataKey(db: Kysely<DB>, fleetId: string): void {
  batchMemo(db)?.delete(activeMemoKey(fleetId));
}

/** SQL of fleet_data_keys: a fleet's wrapped data keys (DEKs); the newest seals, every one opens (migration 0006). */
export function createDataKeyRepo(db: Kysely<DB>, engine: Engine) {
  return {
    async insert(row: DataKeyRow): Promise<void> {
      await db.insertInto('fleet_data_keys').values(row).execute();
      forgetActiveDataKey(db, row.fleet_id);
    },

    /** One key of the fleet, by id. */
    async find(fleetId: string, id: string): Promise<StoredDataKey | undefined> {
      return db.selectFrom('fleet_data_keys').select(columns).where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
    },

    /** The fleet's keys, newest (the one that seals) first. */
    async ofFleet(fleetId: string): Promise<StoredDataKey[]> {
      return db
        .selectFrom('fleet_data_keys')
        .select(columns)
        .where('fleet_id', '=', fleetId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },

    /**
     * The key new secrets of the fleet are sealed under: its newest. Within a group commit it is read once per batch
     * (the batch memo): a fleet's keys are added and destroyed only by units of that fleet (PostgreSQL: under the
     * fleet's row lock, which its batch holds from BEGIN; SQLite: one writer), which forget it
     * (`forgetActiveDataKey`), so it cannot change under the batch's later units.
     */
    async active(fleetId: string): Promise<StoredDataKey | undefined> {
      const memo = batchMemo(db);
      const known = memo?.get(activeMemoKey(fleetId)) as StoredDataKey | undefined;
      if (known !== undefined) return known;
      const row = (await activeQuery(db, engine, { fleetId })).rows[0];
      if (row !== undefined) memo?.set(activeMemoKey(fleetId), row);
      return row;
    },

    /** Which of `ids` still exist (a destroyed key's row is deleted), in chunks below any engine's parameter limit. */
    async existing(ids: readonly string[]): Promise<string[]> {
      const found: string[] = [];
      for (let start = 0; start < ids.length; start += 500) {
        const chunk = ids.slice(start, start + 500);
        const rows = await db.selectFrom('fleet_data_keys').select('id').where('id', 'in', chunk).execute();
        found.push(...rows.map((row) => row.id));
      }
      return found;
    },

    async all(): Promise<StoredDataKey[]> {
      return db.selectFrom('fleet_data_keys').select(columns).execute();
    },

    /** Keys wrapped by a master key other than `kekId`. */
    async wrappedByOtherThan(kekId: string): Promise<StoredDataKey[]> {
      return db.selectFrom('fleet_data_keys').select(columns).where('kek_id', '!=', kekId).execute();
    },

    /** Re-wraps one key if it is still under `fromKekId`; false when another rotation did it first. */
    async rewrap(id: string, fromKekId: string, to: { kek_id: string; wrapped_key: Buffer }): Promise<boolean> {
      const result = await db
        .updateTable('fleet_data_keys')
        .set(to)
        .where('id', '=', id)
        .where('kek_id', '=', fromKekId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Destroys one key (the end of a re-encryption); the caller has checked that no row is sealed under it. */
    async destroy(fleetId: string, id: string): Promise<boolean> {
      const result = await db.deleteFrom('fleet_data_keys').where('fleet_id', '=', fleetId).where('id', '=', id).executeTakeFirst();
      forgetActiveDataKey(db, fleetId);
      return Number(result.numDeletedRows) === 1;
    },
  };
}

export type DataKeyRepo = ReturnType<typeof createDataKeyRepo>;
