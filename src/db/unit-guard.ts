import { AsyncLocalStorage } from 'node:async_hooks';

const insideUnit = new AsyncLocalStorage<true>();

/**
 * True while a unit's work runs. Its batch then holds a connection: on SQLite the one connection, so a query through
 * the shared executor would wait for it forever; on PostgreSQL another pool connection, which sees none of the
 * batch's writes and would wait forever for a row the batch has locked. Both drivers refuse it (sqlite-database.ts, postgres-database.ts).
 */
export function insideUnitOfWork(): boolean {
  return insideUnit.getStore() === true;
}

/** What both drivers do before handing out a shared connection: refuse a unit of work's reach for one. */
export function refuseInsideUnitOfWork(): void {
  if (insideUnitOfWork()) throw new TypeError('a unit of work used the shared database executor; use the repos it was given');
}

/** Runs a unit's work marked as such, for `insideUnitOfWork` (group-commit.ts, when its guard is on). */
export function runAsUnit<T>(work: () => Promise<T>): Promise<T> {
  return insideUnit.run(true, work);
}
