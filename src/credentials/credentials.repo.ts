import { type CompiledQuery, type Kysely, type Selectable } from 'kysely';
import { compiledQuery } from '../db/compiled-query.js';
import { readNow } from '../db/direct-read.js';
import type { CredentialRestriction } from '../core/grant.js';
import { withinRestriction } from '../db/credential-restriction.js';
import type { Engine } from '../db/database.js';
import type { CredentialsTable, DB } from '../db/schema.js';
import { type CredentialListRow, compiledList, listSelect, viewColumns } from './credential-list.query.js';
import { createSealedRowsRepo } from './sealed-rows.repo.js';
import { createSecretVersionRepo } from './secret-versions.repo.js';

/** A credential's own columns; its vehicle count is the vehicles' (kept by vehicles.repo.ts), read as CredentialRowWithCount. */
export type CredentialRow = Omit<Selectable<CredentialsTable>, 'vehicle_count'>;
export type CredentialRowWithCount = CredentialRow & { vehicle_count: number };

export type CredentialViewRow = Pick<Selectable<CredentialsTable>, (typeof viewColumns)[number]>;

export type RotationUpdate = Pick<
  CredentialRow,
  | 'sealed_secrets'
  | 'data_key_id'
  | 'secret_version'
  | 'updated_at'
  | 'secret_updated_at'
  | 'secret_created_by'
  | 'status'
  | 'status_checked_at'
>;

/** A list page's keyset: the last item's (name missing, name key, id), the order the list is sorted in. */
export type CredentialListKey = readonly [nameMissing: number, nameKey: string, id: string];

/** The cursor's member types, for the route that decodes it into a {@link CredentialListKey}. */
export const CREDENTIAL_LIST_KEY = ['number', 'string', 'string'] as const;

export interface CredentialListFilter {
  brand?: string;
  nameKey?: string;
  /** Lower-cased substring of the name. */
  q?: string;
  after?: CredentialListKey | undefined;
  limit: number;
  /** A restricted client's: only credentials inside it are read (docs/grants.md). */
  restriction?: CredentialRestriction | undefined;
}

/** `%`, `_` and `\` are wildcards for LIKE: escape them so `q` is a plain substring. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

const credentialColumns = [
  'id',
  'fleet_id',
  'brand',
  'name',
  'name_key',
  'name_missing',
  'fields',
  'sealed_secrets',
  'secret_version',
  'created_at',
  'updated_at',
  'secret_updated_at',
  'secret_created_by',
  'status',
  'status_checked_at',
  'data_key_id',
] as const satisfies readonly (keyof CredentialsTable)[];

// Every create runs it: compiled once (src/db/compiled-query.ts).
const insertQuery = compiledQuery(credentialColumns, (db, v) =>
  db
    .insertInto('credentials')
    .values(v)
    // The index predicate is matched as written (a literal, not a parameter) to infer the partial index.
    .onConflict((oc) =>
      oc
        .columns(['fleet_id', 'name_key'])
        .where((eb) => eb('name_missing', '=', eb.lit(0)))
        .doNothing(),
    )
    .returning('id'),
);

const rotationColumns = [
  'sealed_secrets',
  'data_key_id',
  'secret_version',
  'updated_at',
  'secret_updated_at',
  'secret_created_by',
  'status',
  'status_checked_at',
] as const satisfies readonly (keyof RotationUpdate)[];

// Every rotation and restore: compiled once. Compare-and-set on the version read, so a concurrent rotation loses.
const rotateSecretsQuery = compiledQuery([...rotationColumns, 'fleetId', 'id', 'expectedVersion'], (db, v) =>
  db
    .updateTable('credentials')
    .set(Object.fromEntries(rotationColumns.map((column) => [column, v[column]])) as unknown as RotationUpdate)
    .where('fleet_id', '=', v.fleetId)
    .where('id', '=', v.id)
    .where('secret_version', '=', v.expectedVersion),
);

/**
 * SQL of both credential tables: `credentials` here, their kept earlier versions in `versions`
 * (secret-versions.repo.ts) and the data-key re-seal over both in `sealed` (sealed-rows.repo.ts).
 * Every method takes the fleet id first.
 */
export function createCredentialRepo(db: Kysely<DB>, engine: Engine) {
  const listByShape = new Map<string, ReturnType<typeof compiledList>>();
  const selectRow = () => db.selectFrom('credentials').selectAll('credentials');

  const selectView = () => db.selectFrom('credentials').select(viewColumns.map((column) => `credentials.${column}` as const));

  // By id, the hottest queries: built and compiled once (kysely's builder and compiler cost about as much as
  // SQLite's execution of it), then run with this call's parameters. The parameter order is asserted here.
  const byIdOnce = <T>(build: () => { compile(): CompiledQuery<T> }) => {
    let compiled: CompiledQuery<T> | undefined;
    return () => {
      if (compiled === undefined) {
        compiled = build().compile();
        if (compiled.parameters.join() !== '$fleet,$id') throw new TypeError('credentials: unexpected parameter order');
      }
      return compiled;
    };
  };
  const findByIdQuery = byIdOnce(() => selectRow().where('credentials.fleet_id', '=', '$fleet').where('credentials.id', '=', '$id'));
  // GET reads the view alone: not the sealed secrets, whose Buffer a read would allocate and collect for nothing.
  const findViewQuery = byIdOnce(() => selectView().where('credentials.fleet_id', '=', '$fleet').where('credentials.id', '=', '$id'));

  return {
    /**
     * Inserts the credential unless the fleet already has one of that name: false then, and nothing
     * was written. The name index decides in the same statement (ON CONFLICT on the partial unique
     * index, https://www.postgresql.org/docs/15/sql-insert.html#SQL-ON-CONFLICT, https://sqlite.org/lang_upsert.html),
     * so it holds across replicas and costs no round trip of its own: a concurrent insert of the same
     * name makes this one wait for its transaction and then do nothing if it committed.
     */
    async insert(row: CredentialRow): Promise<boolean> {
      return (await insertQuery(db, engine, row)).rows.length > 0;
    },

    /** The credential, if it is the fleet's and inside `restriction` (when given). */
    async findById(fleetId: string, id: string, restriction?: CredentialRestriction): Promise<CredentialRowWithCount | undefined> {
      if (restriction !== undefined) {
        const row = await selectRow()
          .where('credentials.fleet_id', '=', fleetId)
          .where('credentials.id', '=', id)
          .where(withinRestriction(restriction, fleetId, { credentialId: 'credentials.id', brand: 'credentials.brand' }))
          .executeTakeFirst();
        return row;
      }
      const { rows } = await readNow<CredentialRowWithCount>(db, { ...findByIdQuery(), parameters: [fleetId, id] });
      return rows[0];
    },

    /** The credential's view columns (no sealed secrets), if it is the fleet's and inside `restriction` (when given). */
    async findView(fleetId: string, id: string, restriction?: CredentialRestriction): Promise<CredentialViewRow | undefined> {
      if (restriction !== undefined) {
        return selectView()
          .where('credentials.fleet_id', '=', fleetId)
          .where('credentials.id', '=', id)
          .where(withinRestriction(restriction, fleetId, { credentialId: 'credentials.id', brand: 'credentials.brand' }))
          .executeTakeFirst();
      }
      const { rows } = await readNow<CredentialViewRow>(db, { ...findViewQuery(), parameters: [fleetId, id] });
      return rows[0];
    },

    async countByBrand(fleetId: string, brand: string): Promise<number> {
      const row = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('brand', '=', brand)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async list(fleetId: string, filter: CredentialListFilter): Promise<CredentialListRow[]> {
      const { brand, nameKey, q, after, limit, restriction } = filter;
      const pattern = q === undefined ? undefined : `%${escapeLike(q)}%`;
      if (restriction !== undefined) {
        return listSelect(db, engine, { fleetId, brand, nameKey, pattern, after, limit, restriction }).execute();
      }
      // Unrestricted pages (most): the statement of this filter shape, built and compiled once (docs/performance.md).
      const shape = `${+(brand !== undefined)}${+(nameKey !== undefined)}${+(pattern !== undefined)}${+(after !== undefined)}`;
      let run = listByShape.get(shape);
      if (run === undefined) listByShape.set(shape, (run = compiledList(engine, brand, nameKey, pattern, after)));
      const [missing, key, id] = after ?? [];
      const { rows } = await run(db, engine, { fleetId, limit, brand, nameKey, pattern, missing, key, id });
      return rows;
    },

    /** Replaces the sealed secrets if the version is still `expectedVersion`; false when another rotation won. */
    async rotateSecrets(fleetId: string, id: string, expectedVersion: number, update: RotationUpdate): Promise<boolean> {
      const result = await rotateSecretsQuery(db, engine, { ...update, fleetId, id, expectedVersion });
      return Number(result.numAffectedRows) === 1;
    },

    /** The brand exchange's verdict, only on the version it was made with (a rotation since resets it). */
    async setStatus(fleetId: string, id: string, version: number, status: CredentialRow['status'], checkedAt: string): Promise<void> {
      await db
        .updateTable('credentials')
        .set({ status, status_checked_at: checkedAt })
        .where('fleet_id', '=', fleetId)
        .where('id', '=', id)
        .where('secret_version', '=', version)
        .execute();
    },

    /**
     * How many vehicles reference the credential (all of them), and the first `limit` ids of those
     * inside `restriction` (when given): a restricted caller sees only vehicles it may read.
     */
    async referencingVehicles(
      fleetId: string,
      id: string,
      limit: number,
      restriction?: CredentialRestriction,
    ): Promise<{ count: number; ids: string[] }> {
      const countRow = await db
        .selectFrom('vehicles')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('fleet_id', '=', fleetId)
        .where('credentials_id', '=', id)
        .executeTakeFirstOrThrow();
      const count = Number(countRow.n);
      if (count === 0) return { count, ids: [] };
      let idsQuery = db.selectFrom('vehicles').select('id').where('fleet_id', '=', fleetId).where('credentials_id', '=', id);
      if (restriction !== undefined) {
        idsQuery = idsQuery.where(withinRestriction(restriction, fleetId, { credentialId: 'vehicles.credentials_id' }));
      }
      const rows = await idsQuery.orderBy('id').limit(limit).execute();
      return { count, ids: rows.map((r) => r.id) };
    },

    /** How many credentials the fleet holds. */
    async countOfFleet(fleetId: string): Promise<number> {
      const row = await db
        .selectFrom('credentials')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .where('fleet_id', '=', fleetId)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** Deletes every credential of the fleet and their kept versions (its offboarding: its vehicles are gone first). */
    async deleteOfFleet(fleetId: string): Promise<void> {
      await db.deleteFrom('credential_secret_versions').where('fleet_id', '=', fleetId).execute();
      await db.deleteFrom('credentials').where('fleet_id', '=', fleetId).execute();
    },

    versions: createSecretVersionRepo(db, engine),
    sealed: createSealedRowsRepo(db),

    /** Deletes the credential, only at `expectedVersion` when one is given. */
    async delete(fleetId: string, id: string, expectedVersion?: number): Promise<boolean> {
      let query = db.deleteFrom('credentials').where('fleet_id', '=', fleetId).where('id', '=', id);
      if (expectedVersion !== undefined) query = query.where('secret_version', '=', expectedVersion);
      const result = await query.executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
  };
}

export type CredentialRepo = ReturnType<typeof createCredentialRepo>;
