import type { Kysely } from 'kysely';
import { DurabilityLostError, SharedCommitFailedError } from './commit-errors.js';
import { type BatchMemo, endBatchMemo, startBatchMemo } from './batch-memo.js';
import { insideUnitOfWork, runAsUnit } from './unit-guard.js';
import type { DB } from './schema.js';

/**
 * At most this many units share one transaction.
 * - SQLite: reads wait for the one connection while a batch runs (kysely's SQLite driver has one connection behind a
 *   mutex), so the cap bounds that wait: 32 units of ~0.3 ms each keep it under ~10 ms, while one fsync already
 *   covers 32 acknowledgements.
 * - PostgreSQL: a batch holds its fleet's lock and chain head from its first unit to its COMMIT, and the first unit
 *   is answered after the last one ran (a few round trips each, ~1 ms here), so the cap bounds both waits (~30 ms);
 *   and each unit's savepoint is a subtransaction with an xid of its own: a backend caches at most 64 of them
 *   (PGPROC_MAX_CACHED_SUBXIDS) before every other session's snapshots overflow into pg_subtrans and slow down,
 *   so 32 stays well clear of it.
 */
export const MAX_UNITS_PER_COMMIT = 32;

/** Where a batch's transaction stands: 'failed' is PostgreSQL's aborted state, left only by a ROLLBACK (TO SAVEPOINT). */
export type TransactionState = 'idle' | 'open' | 'failed';

/** One connection held for one batch. */
export interface GroupCommitSession {
  /** The executor the batch's units run their statements on (bound to this connection). */
  readonly executor: Kysely<DB>;
  /** The statements that open the batch's transaction (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: `BEGIN` and the fleet's lock). */
  readonly begin: readonly string[];
  /**
   * Runs statements without parameters, in order, on this connection (BEGIN, SAVEPOINT, COMMIT ...); PostgreSQL
   * gets them in one message (one round trip). Rejects if any fails, or if a COMMIT did not commit.
   */
  run(statements: readonly string[]): Promise<void>;
  /**
   * 'idle' when no transaction is open: before BEGIN, or after the engine rolled it all back under the units
   * (SQLite on SQLITE_FULL or an I/O error, a unit that ran ROLLBACK).
   */
  state(): TransactionState;
  /**
   * True when `run` and the units' statements share a pipelined connection (PostgreSQL: node-postgres's `pipeline`
   * mode, https://node-postgres.com/features/pipelining): each is sent without waiting for the answer before it, and
   * the server runs them in the order sent. A unit's savepoint then travels right before its first statement,
   * instead of a round trip ahead of it.
   */
  readonly pipelined?: boolean;
  /** Called once the batch's transaction has ended, committed or rolled back. */
  ended?(): void;
  /**
   * Resolves once every commit so far is on disk (SQLite: its batch COMMIT may return before). The batch holds the
   * connection until then, so nothing reads its rows before they are durable, while the wait for the disk leaves the
   * event loop free for other requests. None on PostgreSQL: its COMMIT returns after the WAL flush.
   */
  flush?(): Promise<void>;
}

export interface GroupCommitConnection {
  /**
   * 'one-queue': every unit waits in one queue and one batch runs at a time (SQLite: one writer, one connection).
   * 'per-key': a queue per key, whose batches run beside other keys' on connections of their own; a unit without a
   * key is a batch of its own (PostgreSQL, keyed by fleet).
   */
  readonly batching: 'one-queue' | 'per-key';
  /** Runs fn holding a connection for one batch of `key` (SQLite's one connection; a PostgreSQL pool client). */
  withSession<T>(key: string | undefined, fn: (session: GroupCommitSession) => Promise<T>): Promise<T>;
}

export interface GroupCommit {
  /**
   * Runs work as one unit of a shared transaction and resolves once the COMMIT that covers it is on disk
   * (`GroupCommitSession.flush`). Its own failure rolls back only its own savepoint. `key` says which units may share a transaction
   * when the connection batches 'per-key' (ignored by 'one-queue').
   */
  transaction<T>(work: (executor: Kysely<DB>) => Promise<T>, key?: string): Promise<T>;
  /** Resolves when no batch is queued or running (closing the database waits for it). */
  idle(): Promise<void>;
  /** Set once a commit could not be made durable: every later unit is refused with it. */
  readonly durabilityLost: DurabilityLostError | undefined;
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

/** The units waiting for one key's next batch, and the batches running for it (one after another). */
interface Lane {
  key: string | undefined;
  queue: Unit[];
  /** A lane of one unit without a key (per-key batching): nothing joins it. */
  alone: boolean;
  running?: Promise<void> | undefined;
}

/**
 * Group commit: the transactions of concurrent requests run one after another inside ONE transaction, each in its
 * own savepoint, so N acknowledged writes cost one commit (one fsync, one WAL flush) instead of N. Each unit is
 * answered only after the COMMIT that covers it, so an acknowledged write survives `kill -9` and power loss exactly
 * as before; a unit that throws is rolled back to its savepoint (https://www.sqlite.org/lang_savepoint.html,
 * https://www.postgresql.org/docs/current/sql-savepoint.html) and its neighbours commit; if the transaction itself
 * fails, no unit of the batch is acknowledged.
 *
 * SQLite ('one-queue'): better-sqlite3 is synchronous, each fsync stalls the event loop, and there is one writer:
 * every unit joins one queue. PostgreSQL ('per-key'): every write of a fleet holds the fleet's audit chain head
 * until its COMMIT's WAL flush, so a fleet committed one write per flush; its units now share a transaction per
 * batch, while other fleets' batches run beside it on other connections. Units of two keys never share a batch (two
 * batches taking two fleets' locks in opposite orders would deadlock).
 *
 * A batch starts in the check phase (setImmediate), after the poll phase has read every request that was waiting,
 * so requests arriving together share a commit; a lone request waits only for that hop.
 */
export function createGroupCommit(connection: GroupCommitConnection, options: GroupCommitOptions = {}): GroupCommit {
  const { guardUnits = true } = options;
  let durabilityLost: DurabilityLostError | undefined;
  const oneQueue: Lane = { key: undefined, queue: [], alone: false };
  const lanes = new Map<string, Lane>();
  const running = new Set<Promise<void>>();

  const laneFor = (key: string | undefined): Lane => {
    if (connection.batching === 'one-queue') return oneQueue;
    if (key === undefined) return { key, queue: [], alone: true };
    let lane = lanes.get(key);
    if (lane === undefined) lanes.set(key, (lane = { key, queue: [], alone: false }));
    return lane;
  };

  const start = (lane: Lane) => {
    if (lane.running !== undefined) return;
    const batches = new Promise<void>((resolve) => setImmediate(resolve)).then(() => runBatches(lane));
    lane.running = batches;
    running.add(batches);
    void batches.finally(() => running.delete(batches));
  };

  async function runBatches(lane: Lane): Promise<void> {
    try {
      while (lane.queue.length > 0) await runBatch(lane, lane.queue.splice(0, MAX_UNITS_PER_COMMIT));
    } finally {
      lane.running = undefined;
      // Nothing queued (no await since the loop's test): the next unit of this key opens a new lane.
      if (lane.key !== undefined && lanes.get(lane.key) === lane) lanes.delete(lane.key);
    }
  }

  async function runBatch(lane: Lane, batch: Unit[]): Promise<void> {
    if (durabilityLost !== undefined) {
      for (const unit of batch) unit.reject(durabilityLost);
      return;
    }
    // The unit whose own error made the engine roll the whole transaction back, if one did.
    let culprit: Unit | undefined;
    let committed = false;
    try {
      await connection.withSession(lane.key, async (session) => {
        // Statements not sent yet: each travels with the next one the batch must wait for (PostgreSQL: one round trip).
        const pending: string[] = [];
        const memo = startBatchMemo(session.executor);
        // A transaction left open by a ROLLBACK that failed (below) would make every BEGIN fail from now on.
        if (session.state() !== 'idle') pending.push('ROLLBACK');
        pending.push(...session.begin);
        try {
          for (let index = 0; index < batch.length; index++) {
            const unit = batch[index]!;
            pending.push('SAVEPOINT unit');
            const opened = session.run(pending.splice(0));
            if (session.pipelined === true) {
              // Answered before the unit's first statement, looked at once the unit is done (runUnit): if it failed,
              // the unit's statements failed behind it in the aborted transaction, and the batch fails with its error.
              opened.catch(() => {});
            } else {
              await opened;
            }
            const ran = await runUnit(unit, session, pending, memo, opened);
            await opened;
            if (!ran) {
              culprit = unit;
              throw (unit.outcome as { error: unknown }).error;
            }
            // Units queued while this batch ran join it, up to the cap.
            if (index === batch.length - 1 && !lane.alone) batch.push(...lane.queue.splice(0, MAX_UNITS_PER_COMMIT - batch.length));
          }
          pending.push('COMMIT');
          await session.run(pending.splice(0));
        } catch (error) {
          await rollbackQuietly(session);
          throw error;
        } finally {
          endBatchMemo(session.executor);
          session.ended?.();
        }
        committed = true;
        await session.flush?.();
      });
    } catch (error) {
      if (committed) {
        // The COMMIT was written but not made durable: from here on nothing is acknowledged. A unit that had failed
        // on its own was rolled back to its savepoint, so its own error still tells the truth.
        durabilityLost = new DurabilityLostError(error);
        for (const unit of batch) unit.reject(unit.outcome?.ok === false ? unit.outcome.error : durabilityLost);
        return;
      }
      // Nothing of this batch was stored. A unit that failed on its own keeps its error only if it was the
      // cause: another unit's failure may have depended on rows of the batch that are now gone.
      for (const unit of batch) unit.reject(unit === culprit ? error : new SharedCommitFailedError(error));
      return;
    }
    for (const unit of batch) {
      if (unit.outcome!.ok) unit.resolve(unit.outcome!.value);
      else unit.reject(unit.outcome!.error);
    }
  }

  async function rollbackQuietly(session: GroupCommitSession) {
    try {
      if (session.state() !== 'idle') await session.run(['ROLLBACK']);
    } catch {
      // Left open: the next batch on this connection rolls it back before it begins (or the pool drops the connection).
    }
  }

  /**
   * Runs one unit in the savepoint just opened; its RELEASE (or ROLLBACK TO) is left in `pending`, to travel with the
   * next statement. False when the engine rolled the whole transaction back under it.
   */
  async function runUnit(
    unit: Unit,
    session: GroupCommitSession,
    pending: string[],
    memo: BatchMemo,
    opened: Promise<void>,
  ): Promise<boolean> {
    let outcome: NonNullable<Unit['outcome']>;
    try {
      const { executor } = session;
      outcome = { ok: true, value: await (guardUnits ? runAsUnit(() => unit.work(executor)) : unit.work(executor)) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    // Pipelined, a unit that ran no statement can be done before its savepoint was answered: the transaction's state
    // is known once every statement sent so far has been.
    await opened.then(
      () => {},
      () => {},
    );
    // On PostgreSQL a failed statement aborts the transaction until the rollback to the savepoint: a unit that
    // caught such an error and went on has stored nothing after it, so it failed.
    if (outcome.ok && session.state() === 'failed') {
      outcome = { ok: false, error: new Error('a statement of this unit failed and the unit carried on; it was rolled back') };
    }
    unit.outcome = outcome;
    if (outcome.ok) {
      pending.push('RELEASE unit');
      return true;
    }
    memo.clear();
    // SQLite rolled the whole transaction back (https://www.sqlite.org/lang_transaction.html, "Response To
    // Errors Within A Transaction"), or the unit ended it: the units before this one are gone too, so the batch fails.
    if (session.state() === 'idle') return false;
    pending.push('ROLLBACK TO unit', 'RELEASE unit');
    return true;
  }

  return {
    transaction<T>(work: (executor: Kysely<DB>) => Promise<T>, key?: string): Promise<T> {
      if (durabilityLost !== undefined) return Promise.reject(durabilityLost);
      // A unit waiting for a unit queued behind it would wait for its own batch: refused, never a hang.
      if (insideUnitOfWork()) return Promise.reject(new TypeError('a unit of work started another transaction; do the work in one'));
      return new Promise<T>((resolve, reject) => {
        const lane = laneFor(key);
        lane.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
        start(lane);
      });
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
    get durabilityLost() {
      return durabilityLost;
    },
  };
}
