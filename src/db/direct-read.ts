import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { DB } from './schema.js';

/** Runs a statement that only reads, at once, or answers undefined when it cannot (the connection is in use). */
export type DirectReader = (sql: string, parameters: readonly unknown[]) => unknown[] | undefined;

const readers = new WeakMap<Kysely<DB>, DirectReader>();

/** Lets `readNow` answer the reads of `db` through `reader` (sqlite-database.ts: the engine's root instance only). */
export function answerReadsDirectly(db: Kysely<DB>, reader: DirectReader): void {
  readers.set(db, reader);
}

/**
 * Runs a read of a fixed shape. On SQLite, while no unit of work or transaction holds the one connection, it is
 * answered at once from a cached statement: kysely's path to the same statement (its executor, the driver's connection
 * mutex and their promises) cost a GET by id about as much CPU as SQLite's own execution (docs/performance.md). While
 * the connection is held (a batch writing, or waiting for its WAL flush) the read waits its turn through kysely as
 * before, so it never sees a write that is not yet durable; inside a unit of work `db` is the unit's own executor,
 * which has no direct reader. PostgreSQL always goes through kysely.
 */
export function readNow<R>(db: Kysely<DB>, query: CompiledQuery<R>): Promise<QueryResult<R>> {
  let rows: unknown[] | undefined;
  try {
    rows = readers.get(db)?.(query.sql, query.parameters);
  } catch (error) {
    // Failed as kysely's path fails: a rejected promise, never a throw from a function that returns one.
    return Promise.reject(error as Error);
  }
  return rows === undefined ? db.executeQuery(query) : Promise.resolve({ rows: rows as R[] });
}
