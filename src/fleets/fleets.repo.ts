import { type Kysely, type Selectable, sql } from 'kysely';
import type { Engine } from '../db/database.js';
import type { DB, FleetsTable } from '../db/schema.js';

export type FleetRow = Selectable<FleetsTable>;

/** SQL of the fleets table. */
export function createFleetRepo(db: Kysely<DB>, engine: Engine) {
  return {
    async insert(row: FleetRow): Promise<void> {
      await db.insertInto('fleets').values(row).execute();
    },

    async exists(id: string): Promise<boolean> {
      return (await db.selectFrom('fleets').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    },

    /** The names of these fleets (a person picks one when their rules match several; docs/sign-in.md). */
    async names(ids: readonly string[]): Promise<{ id: string; name: string }[]> {
      if (ids.length === 0) return [];
      return db.selectFrom('fleets').select(['id', 'name']).where('id', 'in', ids).orderBy('id').execute();
    },

    async isEmpty(): Promise<boolean> {
      return (await db.selectFrom('fleets').select('id').limit(1).executeTakeFirst()) === undefined;
    },

    /**
     * Serialises writers of one fleet until the transaction ends (per-fleet caps): a row lock on
     * PostgreSQL; a no-op on SQLite, whose writers are serial anyway. Only meaningful inside
     * `store.transaction`.
     */
    async lockForWrite(fleetId: string): Promise<void> {
      if (engine === 'postgres') await sql`SELECT id FROM fleets WHERE id = ${fleetId} FOR UPDATE`.execute(db);
    },
  };
}

export type FleetRepo = ReturnType<typeof createFleetRepo>;
