import type { Kysely, Selectable } from 'kysely';
import type { ApiClientsTable, DB } from '../db/schema.js';

export type ClientRow = Selectable<ApiClientsTable>;

export function createClientRepo(db: Kysely<DB>) {
  return {
    async insert(row: ClientRow): Promise<void> {
      await db.insertInto('api_clients').values(row).execute();
    },

    /** A live client by id, whatever its fleet: the token endpoint learns the fleet from the client. */
    async findLive(id: string): Promise<ClientRow | undefined> {
      return db.selectFrom('api_clients').selectAll().where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
    },
  };
}
