import type { Kysely, Selectable } from 'kysely';
import type { CredentialSecretVersionsTable, DB } from '../db/schema.js';

export type SecretVersionRow = Selectable<CredentialSecretVersionsTable>;

/** SQL of a credential's earlier sealed secret versions (DESIGN.md §2.8). Every method takes the fleet id first. */
export function createSecretVersionRepo(db: Kysely<DB>) {
  return {
    async insert(row: SecretVersionRow): Promise<void> {
      await db.insertInto('credential_secret_versions').values(row).execute();
    },

    async find(fleetId: string, credentialId: string, version: number): Promise<SecretVersionRow | undefined> {
      return db
        .selectFrom('credential_secret_versions')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', credentialId)
        .where('secret_version', '=', version)
        .executeTakeFirst();
    },

    /** Metadata of the kept earlier versions, newest first (never the sealed secrets). */
    async list(fleetId: string, credentialId: string): Promise<Omit<SecretVersionRow, 'sealed_secrets' | 'data_key_id'>[]> {
      return db
        .selectFrom('credential_secret_versions')
        .select(['credential_id', 'fleet_id', 'secret_version', 'created_at', 'created_by'])
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', credentialId)
        .orderBy('secret_version', 'desc')
        .execute();
    },

    /** Destroys the versions older than `oldestKept`. */
    async destroyBefore(fleetId: string, credentialId: string, oldestKept: number): Promise<void> {
      await db
        .deleteFrom('credential_secret_versions')
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', credentialId)
        .where('secret_version', '<', oldestKept)
        .execute();
    },
  };
}

export type SecretVersionRepo = ReturnType<typeof createSecretVersionRepo>;
