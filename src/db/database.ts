import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresDialect,
  PostgresDriver,
  type PostgresPoolClient,
  SqliteDialect,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import { createGroupCommit, type GroupCommitSession, insideUnitOfWork } from './group-commit.js';
import type { DB } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

/** What a unit of work says about itself when it starts (`Database.transaction`, `Store.transaction`). */
export interface UnitOptions {
  /**
   * The fleet whose rows and audit chain the unit writes (every statement of it within that fleet). On PostgreSQL the
   * concurrent units of one fleet then share one transaction (group commit per fleet); a unit without one has a
   * transaction of its own. A unit that appends to a fleet's chain must give it: a unit without one holding a row a
   * batch of that fleet wants, while it waits for the chain head the batch holds, is a deadlock (PostgreSQL detects
   * it and fails one side). SQLite ignores it: all its units share one queue.
   */
  fleetId?: string | undefined;
}

/**
 * One open database, whatever the engine. Engine differences live here and in
 * `db-errors.ts`, not in repositories.
 */
export interface Database {
  readonly engine: Engine;
  readonly db: Kysely<DB>;
  /**
   * Runs work as one unit of work that commits durably before the promise resolves: a savepoint in a group commit
   * (`group-commit.ts`) shared with concurrent units, on SQLite all of them, on PostgreSQL those of the same fleet
   * (`options.fleetId`; without one, a transaction of its own).
   */
  transaction<T>(work: (trx: Kysely<DB>) => Promise<T>, options?: UnitOptions): Promise<T>;
  /** Runs a multi-statement SQL script (migrations) on the given transaction's connection. */
  execScript(trx: Kysely<DB>, sqlText: string): Promise<void>;
  /**
   * Runs `fn` while holding the start-up lock, so replicas starting together migrate and
   * create vault keys once (a PostgreSQL advisory lock; SQLite's one process needs none).
   */
  withStartupLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Cheap round trip proving the database answers. */
  ping(): Promise<void>;
  /**
   * Flushes the SQLite WAL into the main file and truncates it; false when a reader kept it from finishing. Always
   * false on PostgreSQL: nothing there removes deleted row versions from its WAL or backups (docs/operations.md).
   */
  checkpoint(): Promise<boolean>;
  /**
   * Runs read-only work on one consistent snapshot without holding writers back: on SQLite a read transaction on a
   * connection of its own (in WAL mode a reader sees the database as of its first read while writers go on,
   * https://www.sqlite.org/wal.html#concurrency); on PostgreSQL one `REPEATABLE READ READ ONLY` transaction
   * (https://www.postgresql.org/docs/current/transaction-iso.html#XACT-REPEATABLE-READ).
   */
  readSnapshot<T>(work: (db: Kysely<DB>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL schema to use (tests give each run its own). */
  pgSchema?: string;
  pgPoolSize?: number;
  /** Refuse a unit of work's use of the shared executor instead of hanging (`GroupCommitOptions.guardUnits`). */
  guardUnits?: boolean;
}

export function openDatabase(url: string, options: OpenDatabaseOptions = {}): Database {
  if (url.startsWith('sqlite:')) return openSqlite(sqlitePathFromUrl(url), options);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options);
  throw new TypeError(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}`);
}

/** `sqlite:relative/path.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db` and `sqlite::memory:`. */
export function sqlitePathFromUrl(url: string): string {
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:') return rest;
  const withoutSlashes = rest.startsWith('//') ? rest.slice(2) : rest;
  if (withoutSlashes.length === 0) throw new TypeError('DATABASE_URL: sqlite: needs a file path');
  return path.resolve(withoutSlashes);
}

function openSqlite(file: string, options: OpenDatabaseOptions = {}): Database {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // Created 0600 before SQLite opens it: SQLite gives the -wal and -shm files the mode of the
    // database file (os_unix.c, findCreateFileMode), so none of the three is readable by others.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const handle = new SQLite(file);
  // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged
  // commit survive power loss (docs/design.md §5), at the price of an fsync per commit.
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  // A second process writing the file (the CLI's re-encryption or purge beside a server) waits for the write lock
  // rather than failing: generous, since a loaded machine can deschedule the lock's holder for seconds.
  handle.pragma('busy_timeout = 15000');
  // Deleted content is overwritten with zeros, so a purged fleet's ciphertext and ids do not linger in
  // free pages (docs/design.md §3; https://www.sqlite.org/pragma.html#pragma_secure_delete).
  handle.pragma('secure_delete = ON');
  const cachedHandle = withStatementCache(handle);
  const db = new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: cachedHandle }) });
  const run = (sqlText: string) => void cachedHandle.prepare(sqlText).run();
  const wal = file === ':memory:' ? undefined : walSync(`${file}-wal`);
  const groupCommit = createGroupCommit(
    {
      batching: 'one-queue',
      withSession: (_key, fn) =>
        db.connection().execute((executor) =>
          fn({
            executor,
            // A batch's COMMIT under synchronous=NORMAL writes its WAL frames and returns without the fsync that FULL
            // makes (https://www.sqlite.org/pragma.html#pragma_synchronous); `flush` then syncs the WAL on libuv's
            // thread pool while the batch still holds the connection. Acknowledged writes stay as durable as under
            // FULL, and the event loop serves other requests during the fsync instead of stalling in it. SQLite
            // refuses to change the level inside a transaction, so it is set around the batch's, and every other
            // commit keeps FULL.
            begin: ['PRAGMA synchronous = NORMAL', 'BEGIN IMMEDIATE'],
            async run(statements) {
              for (const statement of statements) run(statement);
            },
            state: () => (handle.inTransaction ? 'open' : 'idle'),
            ended() {
              if (!handle.inTransaction) run('PRAGMA synchronous = FULL');
            },
            flush: () => (wal === undefined ? Promise.resolve() : wal.flush()),
          }),
        ),
    },
    { guardUnits: options.guardUnits ?? true },
  );
  return {
    engine: 'sqlite',
    db,
    transaction: (work) => groupCommit.transaction(work),
    async execScript(_trx, sqlText) {
      // better-sqlite3 has one connection, which the open transaction is using.
      handle.exec(sqlText);
    },
    withStartupLock: (fn) => fn(),
    async ping() {
      // Not ready once a commit could not be made durable: only a restart (SQLite's recovery) clears it.
      if (groupCommit.durabilityLost !== undefined) throw groupCommit.durabilityLost;
      handle.prepare('SELECT 1').get();
    },
    async checkpoint() {
      // https://www.sqlite.org/pragma.html#pragma_wal_checkpoint: busy = 1 when it could not complete.
      const [result] = handle.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      return result?.busy === 0;
    },
    async readSnapshot(work) {
      if (file === ':memory:') throw new TypeError('a snapshot needs a database file, not :memory:');
      const reader = new SQLite(file, { fileMustExist: true });
      reader.pragma('busy_timeout = 15000');
      const snapshotDb = new Kysely<DB>({ dialect: new SqliteDialect({ database: reader }) });
      try {
        // A deferred BEGIN: the snapshot is taken at the first read and held until the end, and no write lock is taken.
        return await snapshotDb.transaction().execute(work);
      } finally {
        await snapshotDb.destroy();
      }
    },
    async close() {
      await groupCommit.idle();
      await db.destroy();
      wal?.close();
    },
  };
}

const fdatasync = promisify(fs.fdatasync);

/**
 * fdatasync(2) of the WAL on libuv's thread pool: its written frames reach the disk, and the size that finds them.
 * The descriptor is kept open (one thread-pool job per batch, not three); any descriptor will do, since Linux syncs
 * the file, not what one descriptor wrote. SQLite removes the WAL only when the last connection closes, and this
 * connection is open, but a descriptor whose file was unlinked is reopened all the same rather than synced in vain.
 */
function walSync(walFile: string) {
  let fd: number | undefined;
  return {
    async flush(): Promise<void> {
      if (fd !== undefined && fs.fstatSync(fd).nlink === 0) {
        fs.closeSync(fd);
        fd = undefined;
      }
      fd ??= fs.openSync(walFile, 'r+');
      await fdatasync(fd);
    },
    close(): void {
      if (fd !== undefined) fs.closeSync(fd);
      fd = undefined;
    },
  };
}

/**
 * Transactions that take SQLite's write lock when they begin (`BEGIN IMMEDIATE`), not at their first
 * write. A deferred transaction that has read and then writes, while another process (the CLI's
 * re-encryption or purge beside a server) committed in between, fails at once with SQLITE_BUSY:
 * busy_timeout does not wait for it (https://www.sqlite.org/lang_transaction.html). Taking the lock
 * up front makes the second writer wait up to busy_timeout instead. Every transaction here writes.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  // Inside a unit of work the batch holds the one connection: waiting for it here would never end. The unit has
  // its own executor (store.transaction's repos); reaching for the shared one is a programming mistake.
  override async acquireConnection(): Promise<DatabaseConnection> {
    if (insideUnitOfWork()) throw new TypeError('a unit of work used the shared database executor; use the repos it was given');
    return super.acquireConnection();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every query anew; compiling costs ~5x running a cached
 * statement (166 µs vs 34 µs for a credential read in the benchmark). Queries are built from
 * a small set of shapes with bound parameters, so a bounded cache by SQL text hits almost always.
 */
function withStatementCache(handle: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string) => {
    let statement = cache.get(source);
    if (statement === undefined) {
      statement = handle.prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      cache.set(source, statement);
    }
    return statement;
  };
  return new Proxy(handle, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Arbitrary constant naming fleetvault's start-up advisory lock. */
const STARTUP_LOCK_KEY = 0x466c5674; // "FlVt"

function openPostgres(url: string, options: OpenDatabaseOptions): Database {
  if (options.pgSchema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.pgSchema)) {
    throw new TypeError('pgSchema must be a plain lower-case identifier');
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: options.pgPoolSize ?? 10,
    // Fail fast when the server is away, so requests answer 503 instead of hanging.
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
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
          // A connection whose transaction could not be ended (lost, or a ROLLBACK that failed) is dropped, not reused.
          client.release(client.getTransactionStatus() === 'I' ? undefined : true);
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
}

const heldClients = new WeakMap<pg.PoolClient, HeldClient>();

function held(client: pg.PoolClient): HeldClient {
  let bound = heldClients.get(client);
  if (bound === undefined) {
    // Kysely's driver releases its client after every statement: this pool of one hands out the batch's client and
    // keeps it, so the unit's statements all run in the batch's transaction.
    const onClient = {
      query: (text: string, values: unknown[]) =>
        client.query(text, values).catch((error: unknown) => {
          bound!.statementFailed = true;
          throw error;
        }),
      release() {},
    } as unknown as PostgresPoolClient;
    const executor = new Kysely<DB>({ dialect: new PostgresDialect({ pool: { connect: async () => onClient, end: async () => {} } }) });
    heldClients.set(client, (bound = { executor, statementFailed: false }));
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
    begin: fleetId === undefined ? ['BEGIN'] : ['BEGIN', `SELECT 1 FROM fleets WHERE id = ${pg.escapeLiteral(fleetId)} FOR NO KEY UPDATE`],
    async run(statements) {
      // No parameters: the simple query protocol, several statements in one message (one round trip).
      const answer = (await client.query(statements.join('; '))) as pg.QueryResult | pg.QueryResult[];
      if (statements.some((statement) => statement.startsWith('SAVEPOINT') || statement.startsWith('ROLLBACK')))
        bound.statementFailed = false;
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
    if (insideUnitOfWork()) throw new TypeError('a unit of work used the shared database executor; use the repos it was given');
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
