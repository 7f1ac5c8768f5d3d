import type { Kysely, Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-query.js';
import type { Engine } from '../db/database.js';
import type { ApiClientsTable, DB } from '../db/schema.js';

export type ClientRow = Selectable<ApiClientsTable>;

/** A list page's keyset: the last client's id (the list is sorted by id). */
export type ClientListKey = readonly [id: string];

/** The cursor's member types, for the route that decodes it into a {@link ClientListKey}. */
export const CLIENT_LIST_KEY = ['string'] as const;

// Every token request authenticates its client: compiled once (src/db/compiled-query.ts).
const findLiveQuery = compiledQuery(['id'], (db, v) =>
  db.selectFrom('api_clients').selectAll().where('id', '=', v.id).where('deleted_at', 'is', null),
);

export function createClientRepo(db: Kysely<DB>, engine: Engine) {
  return {
    async insert(row: ClientRow): Promise<void> {
      await db.insertInto('api_clients').values(row).execute();
    },

    /** A live client by id, whatever its fleet: the token endpoint learns the fleet from the client. */
    async findLive(id: string): Promise<ClientRow | undefined> {
      return (await findLiveQuery(db, engine, { id })).rows[0];
    },

    /** A live client of the fleet; another fleet's client is simply not found. */
    async findInFleet(fleetId: string, id: string): Promise<ClientRow | undefined> {
      return db
        .selectFrom('api_clients')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
    },

    /** Live clients of the fleet after `afterId`, by id (keyset; `limit` rows). */
    async listLive(fleetId: string, limit: number, afterId: string | undefined): Promise<ClientRow[]> {
      let query = db.selectFrom('api_clients').selectAll().where('fleet_id', '=', fleetId).where('deleted_at', 'is', null);
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      return query.orderBy('id').limit(limit).execute();
    },

    /** Marks the client deleted; false when it was not a live client of the fleet. */
    async softDelete(fleetId: string, id: string, deletedAt: string): Promise<boolean> {
      const result = await db
        .updateTable('api_clients')
        .set({ deleted_at: deletedAt })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Replaces a live secret client's secret hash; false when there is no such client. */
    async replaceSecretHash(fleetId: string, id: string, hash: Buffer): Promise<boolean> {
      const result = await db
        .updateTable('api_clients')
        .set({ secret_hash: hash })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('kind', '=', 'secret')
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type ClientRepo = ReturnType<typeof createClientRepo>;
