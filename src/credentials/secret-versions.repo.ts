import type { Kysely, Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-query.js';
import type { CredentialRestriction } from '../core/grant.js';
import { withinRestriction } from '../db/credential-restriction.js';
import type { Engine } from '../db/database.js';
import type { CredentialSecretVersionsTable, DB } from '../db/schema.js';

export type SecretVersionRow = Selectable<CredentialSecretVersionsTable>;

const versionColumns = [
  'credential_id',
  'fleet_id',
  'secret_version',
  'sealed_secrets',
  'created_at',
  'created_by',
  'data_key_id',
] as const satisfies readonly (keyof CredentialSecretVersionsTable)[];

// Every rotation and restore keeps the replaced version and prunes the oldest: compiled once (src/db/compiled-query.ts).
const insertQuery = compiledQuery(versionColumns, (db, v) => db.insertInto('credential_secret_versions').values(v));
const destroyBeforeQuery = compiledQuery(['fleetId', 'credentialId', 'oldestKept'], (db, v) =>
  db
    .deleteFrom('credential_secret_versions')
    .where('fleet_id', '=', v.fleetId)
    .where('credential_id', '=', v.credentialId)
    .where('secret_version', '<', v.oldestKept),
);

/**
 * SQL of a credential's earlier sealed secret versions (docs/design.md §2.8): part of the credentials repository
 * (`repos.credentials.versions`). Every method takes the fleet id first.
 */
export function createSecretVersionRepo(db: Kysely<DB>, engine: Engine) {
  return {
    async insert(row: SecretVersionRow): Promise<void> {
      await insertQuery(db, engine, row);
    },

    /** A kept version, if its credential is the fleet's and inside `restriction` (when given). */
    async find(
      fleetId: string,
      credentialId: string,
      version: number,
      restriction?: CredentialRestriction,
    ): Promise<SecretVersionRow | undefined> {
      let query = db
        .selectFrom('credential_secret_versions')
        .selectAll()
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', credentialId)
        .where('secret_version', '=', version);
      if (restriction !== undefined) query = query.where(withinRestriction(restriction, fleetId, { credentialId: 'credential_id' }));
      return query.executeTakeFirst();
    },

    /** Metadata of the kept earlier versions, newest first (never the sealed secrets); none outside `restriction`. */
    async list(
      fleetId: string,
      credentialId: string,
      restriction?: CredentialRestriction,
    ): Promise<Omit<SecretVersionRow, 'sealed_secrets' | 'data_key_id'>[]> {
      let query = db
        .selectFrom('credential_secret_versions')
        .select(['credential_id', 'fleet_id', 'secret_version', 'created_at', 'created_by'])
        .where('fleet_id', '=', fleetId)
        .where('credential_id', '=', credentialId);
      if (restriction !== undefined) query = query.where(withinRestriction(restriction, fleetId, { credentialId: 'credential_id' }));
      return query.orderBy('secret_version', 'desc').execute();
    },

    /** Destroys the versions older than `oldestKept`. */
    async destroyBefore(fleetId: string, credentialId: string, oldestKept: number): Promise<void> {
      await destroyBeforeQuery(db, engine, { fleetId, credentialId, oldestKept });
    },
  };
}

export type SecretVersionRepo = ReturnType<typeof createSecretVersionRepo>;
