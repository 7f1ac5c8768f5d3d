import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * At most this many units share one SQLite transaction. Reads wait for the connection while a batch
 * runs (kysely's SQLite driver has one connection behind a mutex), so the cap bounds that wait: 32 units
 * of ~0.3 ms each keep it under ~10 ms, while one fsync already covers 32 acknowledgements.
 */
export const MAX_UNITS_PER_COMMIT = 32;

export interface GroupCommitConnection {
  /** Runs fn holding the database's one connection (kysely's driver mutex), with an executor bound to it. */
  withConnection<T>(fn: (executor: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Runs one statement without parameters on that connection (BEGIN, SAVEPOINT, COMMIT ...). */
  run(sqlText: string): void;
  /** Whether SQLite still has the transaction open: some errors (SQLITE_FULL, IOERR) roll it all back. */
  inTransaction(): boolean;
}

export interface GroupCommit {
  /**
   * Runs work as one unit of a shared transaction and resolves once the COMMIT that covers it has
   * returned (synchronous=FULL: on disk). Its own failure rolls back only its own savepoint.
   */
  transaction<T>(work: (executor: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Resolves when no batch is queued or running (closing the database waits for it). */
  idle(): Promise<void>;
}

interface Unit {
  work: (executor: Kysely<DB>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  outcome?: { ok: true; value: unknown } | { ok: false; error: unknown };
}

/**
 * Group commit for SQLite: the transactions of concurrent requests run one after another inside ONE
 * `BEGIN IMMEDIATE … COMMIT`, each in its own savepoint, so N acknowledged writes cost one fsync instead
 * of N (better-sqlite3 is synchronous: each fsync stalls the event loop). Each unit is answered only after
 * the COMMIT that covers it, so an acknowledged write survives `kill -9` and power loss exactly as before;
 * a unit that throws is rolled back to its savepoint (https://www.sqlite.org/lang_savepoint.html) and its
 * neighbours commit; if the transaction itself fails, no unit of the batch is acknowledged.
 *
 * A batch starts in the check phase (setImmediate), after the poll phase has read every request that
 * was waiting, so requests arriving together share a commit; a lone request waits only for that hop.
 */
export function createGroupCommit(connection: GroupCommitConnection): GroupCommit {
  const queue: Unit[] = [];
  let running: Promise<void> | undefined;

  const start = () => {
    running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(runBatches);
  };

  async function runBatches(): Promise<void> {
    while (queue.length > 0) await runBatch(queue.splice(0, MAX_UNITS_PER_COMMIT));
    running = undefined;
  }

  async function runBatch(batch: Unit[]): Promise<void> {
    try {
      await connection.withConnection(async (executor) => {
        connection.run('BEGIN IMMEDIATE');
        try {
          for (let index = 0; index < batch.length; index++) {
            await runUnit(batch[index]!, executor);
            // Units queued while this batch ran join it, up to the cap.
            if (index === batch.length - 1) batch.push(...queue.splice(0, MAX_UNITS_PER_COMMIT - batch.length));
          }
          connection.run('COMMIT');
        } catch (error) {
          if (connection.inTransaction()) connection.run('ROLLBACK');
          throw error;
        }
      });
    } catch (error) {
      // Nothing of this batch reached the disk: every unit fails, with its own error if it had one.
      for (const unit of batch) unit.reject(unit.outcome?.ok === false ? unit.outcome.error : error);
      return;
    }
    for (const unit of batch) {
      if (unit.outcome!.ok) unit.resolve(unit.outcome!.value);
      else unit.reject(unit.outcome!.error);
    }
  }

  async function runUnit(unit: Unit, executor: Kysely<DB>): Promise<void> {
    connection.run('SAVEPOINT unit');
    try {
      unit.outcome = { ok: true, value: await unit.work(executor) };
      connection.run('RELEASE unit');
    } catch (error) {
      unit.outcome = { ok: false, error };
      // SQLite rolled the whole transaction back (https://www.sqlite.org/lang_transaction.html, "Response To
      // Errors Within A Transaction"): the units before this one are gone too, so the batch fails.
      if (!connection.inTransaction()) throw error;
      connection.run('ROLLBACK TO unit');
      connection.run('RELEASE unit');
    }
  }

  return {
    transaction<T>(work: (executor: Kysely<DB>) => Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        start();
      });
    },
    async idle() {
      while (running !== undefined) await running;
    },
  };
}
