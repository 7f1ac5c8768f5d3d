import { type Kysely, sql } from 'kysely';
import type { Engine } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { backupTables, type BackupTable } from './backup-tables.js';

export type TableRow = Record<string, unknown>;

/**
 * The SQL of backup and restore, on any executor: a snapshot transaction (`Database.readSnapshot`), the pool, or the
 * restore's transaction. Table and column names come only from `backupTables` and a verified backup's table lines,
 * and go through `sql.table` / `sql.ref`, which quote them.
 */
export function createSnapshotRepo(db: Kysely<DB>, engine: Engine) {
  const table = (name: string) => {
    if (!(backupTables as readonly string[]).includes(name)) throw new TypeError(`backup: unknown table ${name}`);
    return sql.table(name);
  };
  return {
    /** One page of a table in key order, after the given key values (none: from the start). */
    async page(name: BackupTable, keys: readonly string[], after: readonly unknown[] | undefined, limit: number): Promise<TableRow[]> {
      const keyList = sql.join(keys.map((key) => sql.ref(key)));
      const where = after === undefined ? sql`` : sql`WHERE (${keyList}) > (${sql.join(after.map((value) => sql`${value}`))})`;
      const query = sql<TableRow>`SELECT * FROM ${table(name)} ${where} ORDER BY ${keyList} LIMIT ${limit}`;
      return (await query.execute(db)).rows;
    },

    /** The highest migration applied: the schema version a backup records. */
    async schemaVersion(): Promise<number> {
      const row = await db
        .selectFrom('schema_migrations')
        .select((eb) => eb.fn.max('version').as('version'))
        .executeTakeFirst();
      return Number(row?.version ?? 0);
    },

    /** The backup tables that exist in this database (none before the first migration). */
    async existingTables(): Promise<BackupTable[]> {
      const query =
        engine === 'sqlite'
          ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`
          : sql<{ name: string }>`SELECT table_name AS name FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`;
      const names = new Set((await query.execute(db)).rows.map((row) => row.name));
      return backupTables.filter((name) => names.has(name));
    },

    async count(name: BackupTable): Promise<number> {
      const { rows } = await sql<{ n: number | string }>`SELECT count(*) AS n FROM ${table(name)}`.execute(db);
      return Number(rows[0]?.n ?? 0);
    },

    /** One multi-row INSERT of rows given as value lists in the order of `columns`. */
    async insertRows(name: BackupTable, columns: readonly string[], rows: readonly (readonly unknown[])[]): Promise<void> {
      if (rows.length === 0) return;
      const columnList = sql.join(columns.map((column) => sql.ref(column)));
      const values = sql.join(rows.map((row) => sql`(${sql.join(row.map((value) => sql`${value}`))})`));
      await sql`INSERT INTO ${table(name)} (${columnList}) VALUES ${values}`.execute(db);
    },
  };
}

export type SnapshotRepo = ReturnType<typeof createSnapshotRepo>;
