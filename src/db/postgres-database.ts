import { type DatabaseConnection, type Driver, Kysely, PostgresDialect, PostgresDriver, type PostgresPoolClient, sql } from 'kysely';
import pg from 'pg';
import type { Database, OpenDatabaseOptions } from './database.js';
import { createGroupCommit, type GroupCommitSession } from './group-commit.js';
import { createStatementNames } from './pg-statement-names.js';
import { refuseInsideUnitOfWork } from './unit-guard.js';
import type { DB } from './schema.js';

/** Arbitrary constant naming fleetvault's start-up advisory lock. */
const STARTUP_LOCK_KEY = 0x466c5674; // "FlVt"

/** PostgreSQL for replicas: a pg pool, writes through the group commit per fleet. */
export function openPostgres(url: string, options: OpenDatabaseOptions): Database {
  if (options.pgSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.pgSchema)) {
    throw new TypeError('pgSchema must be a plain lower-case identifier');
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.pgPoolSize ?? 10,
    // Fail fast when the server is away, so requests answer 503 instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
    // A batch's savepoint travels with its unit's first statement (group-commit.ts, `pipelined`). Nothing else
    // sends two statements at once on one client, and nothing keeps a portal open (a cursor), which pipelining refuses.
    pipeline: true,
    ...(options.pgSchema !== undefined && { options: `-c search_path=${options.pgSchema}` }),
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // Nor may a checked-out one (a backend ended between two statements): pg emits 'error' on the
  // client, which only the pool listens to while it is idle (node-postgres docs, "pg.Pool: error").
  // The next query on it then fails as "not queryable", which db-errors.ts answers 503.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<DB>({ dialect: new GuardedPostgresDialect({ pool }) });
  const groupCommit = createGroupCommit(
    {
      batching: 'per-key',
      async withSession(fleetId, fn) {
        const client = await pool.connect();
        try {
          return await fn(postgresSession(client, fleetId));
        } finally {
          // A connection whose transaction could not be ended (lost, or a ROLLBACK that failed) is dropped, not reused;
          // so is one whose prepared statements no longer match what node-postgres believes (`preparedStatementBroken`).
          client.release(client.getTransactionStatus() === 'I' && !held(client).discard ? undefined : true);
        }
      },
    },
    { guardUnits: options.guardUnits ?? true },
  );
  return {
    engine: 'postgres',
    db,
    transaction: (work, options) => groupCommit.transaction(work, options?.fleetId),
    async execScript(trx, sqlText) {
      // Without parameters pg uses the simple query protocol, which runs several statements.
      await sql.raw(sqlText).execute(trx);
    },
    async withStartupLock(fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [STARTUP_LOCK_KEY]);
        try {
          return await fn();
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [STARTUP_LOCK_KEY]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    async checkpoint() {
      return false;
    },
    readSnapshot: (work) => db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(work),
    async close() {
      await groupCommit.idle();
      await db.destroy();
    },
  };
}

/** A pool client as a batch's units use it: a Kysely bound to it, built once per client (repositories are bound per executor). */
interface HeldClient {
  executor: Kysely<DB>;
  /**
   * Whether a statement failed since the last savepoint: PostgreSQL then refuses everything but a rollback. Noted as
   * the error comes, since pg rejects a query before the message carrying the transaction's new status arrives.
   */
  statementFailed: boolean;
  /** Set once a named statement failed in a way that leaves the connection's prepared statements unusable. */
  discard: boolean;
}

/**
 * Whether a named statement's failure leaves its name unusable on this connection for as long as it lives:
 * - a value node-postgres could not serialise: it had sent `Parse`, then `Close` of the name, yet in pipeline mode it
 *   records the name as parsed when `ParseComplete` arrives, and every later use fails with 26000;
 * - 26000 (the statement does not exist): node-postgres believes otherwise, by the same or another path;
 * - 0A000 "cached plan must not change result type": a column the statement returns changed type under it (a
 *   migration); PostgreSQL fails every later execution of it.
 * The unit that met it fails (its transaction is aborted); the connection is then closed instead of pooled, and the
 * next batch prepares its statements afresh on a new one.
 */
function preparedStatementBroken(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  return error.code === '26000' || (error.code === '0A000' && error.message.includes('cached plan must not change result type'));
}

/** One set of names for the process: a name always stands for the same text, on whichever connection it is prepared. */
const statementName = createStatementNames();

const heldClients = new WeakMap<pg.PoolClient, HeldClient>();

function held(client: pg.PoolClient): HeldClient {
  let bound = heldClients.get(client);
  if (bound === undefined) {
    // Kysely's driver releases its client after every statement: this pool of one hands out the batch's client and
    // keeps it, so the unit's statements all run in the batch's transaction. They are sent as named statements
    // (pg-statement-names.ts).
    const onClient = {
      query: (text: string, values: unknown[]) => {
        const name = statementName(text, values.length);
        return client.query({ text, values, name }).catch((error: unknown) => {
          bound!.statementFailed = true;
          if (name !== undefined && preparedStatementBroken(error)) bound!.discard = true;
          throw error;
        });
      },
      release() {},
    } as unknown as PostgresPoolClient;
    const executor = new Kysely<DB>({ dialect: new PostgresDialect({ pool: { connect: async () => onClient, end: async () => {} } }) });
    heldClients.set(client, (bound = { executor, statementFailed: false, discard: false }));
  }
  return bound;
}

/**
 * One batch on one pool client. A batch of a fleet first locks the fleet's row (`FOR NO KEY UPDATE`: taken by no
 * foreign key check, so other transactions still insert rows of the fleet): a batch holds its fleet's chain head from
 * its first event to COMMIT, and a unit after that one may lock a row that another replica's transaction of the same
 * fleet locked before it reached the head; taking the fleet's lock before any other makes such batches queue at BEGIN
 * instead of deadlocking. It also serialises them with `fleets.lockForWrite` (per-fleet caps, data-key
 * destruction), which is `FOR UPDATE` on the same row.
 */
function postgresSession(client: pg.PoolClient, fleetId: string | undefined): GroupCommitSession {
  const bound = held(client);
  bound.statementFailed = false;
  return {
    executor: bound.executor,
    pipelined: true,
    begin: fleetId === undefined ? ['BEGIN'] : ['BEGIN', `SELECT 1 FROM fleets WHERE id = ${pg.escapeLiteral(fleetId)} FOR NO KEY UPDATE`],
    async run(statements) {
      // Ended by what is sent now; cleared as it is sent, since the next unit's statements may fail before its answer.
      if (statements.some((statement) => statement.startsWith('SAVEPOINT') || statement.startsWith('ROLLBACK')))
        bound.statementFailed = false;
      // No parameters: the simple query protocol, several statements in one message (one round trip).
      const answer = (await client.query(statements.join('; '))) as pg.QueryResult | pg.QueryResult[];
      const last = Array.isArray(answer) ? answer[answer.length - 1] : answer;
      // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK, not an error.
      if (statements[statements.length - 1] === 'COMMIT' && last?.command !== 'COMMIT') {
        throw new Error(`COMMIT was answered ${String(last?.command)}: the transaction was rolled back`);
      }
    },
    state: () => {
      if (client.getTransactionStatus() === 'I') return 'idle';
      return bound.statementFailed || client.getTransactionStatus() === 'E' ? 'failed' : 'open';
    },
  };
}

/** Inside a unit of work, a query through the pool would not see the batch's writes and could wait for its locks. */
class GuardedPostgresDriver extends PostgresDriver {
  override async acquireConnection(): Promise<DatabaseConnection> {
    refuseInsideUnitOfWork();
    return super.acquireConnection();
  }
}

class GuardedPostgresDialect extends PostgresDialect {
  readonly #config: ConstructorParameters<typeof PostgresDialect>[0];
  constructor(config: ConstructorParameters<typeof PostgresDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new GuardedPostgresDriver(this.#config);
  }
}
