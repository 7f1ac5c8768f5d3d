import { AsyncLocalStorage } from 'node:async_hooks';
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
  /** Runs one statement without parameters on that connection (BEGIN, SAVEPOINT, ROLLBACK ...). */
  run(sqlText: string): void;
  /** Begins a batch's transaction (`BEGIN IMMEDIATE`), whose COMMIT may return before it is on disk. */
  begin(): void;
  /** Called once a batch's transaction has ended, committed or rolled back. */
  ended(): void;
  /**
   * Resolves once every commit so far is on disk. The batch holds the connection until then, so nothing reads its
   * rows before they are durable, while the wait for the disk leaves the event loop free for other requests.
   */
  flush(): Promise<void>;
  /** Whether SQLite still has the transaction open: some errors (SQLITE_FULL, IOERR) roll it all back. */
  inTransaction(): boolean;
}

export interface GroupCommit {
  /**
   * Runs work as one unit of a shared transaction and resolves once the COMMIT that covers it is on disk
   * (`GroupCommitConnection.flush`). Its own failure rolls back only its own savepoint.
   */
  transaction<T>(work: (executor: Kysely<DB>) => Promise<T>): Promise<T>;
  /** Resolves when no batch is queued or running (closing the database waits for it). */
  idle(): Promise<void>;
  /** Set once a commit could not be made durable: every later unit is refused with it. */
  readonly durabilityLost: DurabilityLostError | undefined;
}

/**
 * What a unit gets when the shared transaction failed for a reason that is not its own (the COMMIT, the BEGIN, or
 * another unit's error that made SQLite roll everything back): nothing of it was stored, and retrying is safe.
 * Its cause is the underlying error; `db-errors.ts` answers it 503.
 */
export class SharedCommitFailedError extends Error {
  constructor(cause: unknown) {
    super('the transaction this write shared with others failed; nothing of it was stored', { cause });
    this.name = 'SharedCommitFailedError';
  }
}

/**
 * What every unit gets once a COMMIT was written but could not be made durable (the file sync failed): whether it is
 * on disk is unknown, and so is the state of every later write to the same file, since an operating system may drop
 * the unwritten pages and report the failure only once. No later unit is acknowledged either, until the process
 * restarts and SQLite recovers the file (PostgreSQL stops alike on a failed fsync). `db-errors.ts` answers it 503.
 */
export class DurabilityLostError extends Error {
  constructor(cause: unknown) {
    super('a commit could not be made durable; no write is acknowledged until the vault restarts', { cause });
    this.name = 'DurabilityLostError';
  }
}

const insideUnit = new AsyncLocalStorage<true>();

/**
 * True while a unit's work runs. The database's one connection is then held by the batch, so a query through the
 * shared executor would wait for it forever: the SQLite driver refuses it instead (database.ts).
 */
export function insideUnitOfWork(): boolean {
  return insideUnit.getStore() === true;
}

export interface GroupCommitOptions {
  /**
   * Whether units are marked so `insideUnitOfWork` can refuse their mistakes (default on). Production turns it off:
   * before Node 24, an AsyncLocalStorage that has run once turns on promise hooks for every promise of the process,
   * which cost a GET about 15 % of its CPU (docs/performance.md). The mistakes it catches are in code, not in input,
   * so the tests, which run with it on, catch them before production does.
   */
  guardUnits?: boolean;
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
export function createGroupCommit(connection: GroupCommitConnection, options: GroupCommitOptions = {}): GroupCommit {
  const { guardUnits = true } = options;
  const queue: Unit[] = [];
  let running: Promise<void> | undefined;
  let durabilityLost: DurabilityLostError | undefined;

  const start = () => {
    running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(runBatches);
  };

  async function runBatches(): Promise<void> {
    try {
      while (queue.length > 0) await runBatch(queue.splice(0, MAX_UNITS_PER_COMMIT));
    } finally {
      running = undefined;
    }
  }

  async function runBatch(batch: Unit[]): Promise<void> {
    if (durabilityLost !== undefined) {
      for (const unit of batch) unit.reject(durabilityLost);
      return;
    }
    // The unit whose own error made SQLite roll the whole transaction back, if one did.
    let culprit: Unit | undefined;
    let committed = false;
    try {
      await connection.withConnection(async (executor) => {
        // A transaction left open by a ROLLBACK that failed (below) would make every BEGIN fail from now on.
        if (connection.inTransaction()) connection.run('ROLLBACK');
        connection.begin();
        try {
          for (let index = 0; index < batch.length; index++) {
            const unit = batch[index]!;
            if (!(await runUnit(unit, executor))) {
              culprit = unit;
              throw (unit.outcome as { error: unknown }).error;
            }
            // Units queued while this batch ran join it, up to the cap.
            if (index === batch.length - 1) batch.push(...queue.splice(0, MAX_UNITS_PER_COMMIT - batch.length));
          }
          connection.run('COMMIT');
        } catch (error) {
          rollbackQuietly();
          throw error;
        } finally {
          connection.ended();
        }
        committed = true;
        await connection.flush();
      });
    } catch (error) {
      if (committed) {
        // The COMMIT was written but not made durable: from here on nothing is acknowledged. A unit that had failed
        // on its own was rolled back to its savepoint, so its own error still tells the truth.
        durabilityLost = new DurabilityLostError(error);
        for (const unit of batch) unit.reject(unit.outcome?.ok === false ? unit.outcome.error : durabilityLost);
        return;
      }
      // Nothing of this batch reached the disk. A unit that failed on its own keeps its error only if it was the
      // cause: another unit's failure may have depended on rows of the batch that are now gone.
      for (const unit of batch) unit.reject(unit === culprit ? error : new SharedCommitFailedError(error));
      return;
    }
    for (const unit of batch) {
      if (unit.outcome!.ok) unit.resolve(unit.outcome!.value);
      else unit.reject(unit.outcome!.error);
    }
  }

  function rollbackQuietly() {
    try {
      if (connection.inTransaction()) connection.run('ROLLBACK');
    } catch {
      // Left open: the next batch rolls it back before it begins.
    }
  }

  /** Runs one unit in its savepoint; false when SQLite rolled the whole transaction back under it. */
  async function runUnit(unit: Unit, executor: Kysely<DB>): Promise<boolean> {
    connection.run('SAVEPOINT unit');
    try {
      unit.outcome = { ok: true, value: await (guardUnits ? insideUnit.run(true, () => unit.work(executor)) : unit.work(executor)) };
      connection.run('RELEASE unit');
    } catch (error) {
      unit.outcome = { ok: false, error };
      // SQLite rolled the whole transaction back (https://www.sqlite.org/lang_transaction.html, "Response To
      // Errors Within A Transaction"): the units before this one are gone too, so the batch fails.
      if (!connection.inTransaction()) return false;
      connection.run('ROLLBACK TO unit');
      connection.run('RELEASE unit');
    }
    return true;
  }

  return {
    transaction<T>(work: (executor: Kysely<DB>) => Promise<T>): Promise<T> {
      if (durabilityLost !== undefined) return Promise.reject(durabilityLost);
      // A unit waiting for a unit queued behind it would wait for its own batch: refused, never a hang.
      if (insideUnitOfWork()) return Promise.reject(new TypeError('a unit of work started another transaction; do the work in one'));
      return new Promise<T>((resolve, reject) => {
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        start();
      });
    },
    async idle() {
      while (running !== undefined) await running;
    },
    get durabilityLost() {
      return durabilityLost;
    },
  };
}
