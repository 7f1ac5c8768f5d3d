import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import SQLite from 'better-sqlite3';
import { CompiledQuery, type DatabaseConnection, type Driver, Kysely, SqliteDialect, SqliteDriver } from 'kysely';
import type { Database, OpenDatabaseOptions } from './database.js';
import { answerReadsDirectly } from './direct-read.js';
import { allRows } from './sqlite-rows.js';
import { createGroupCommit } from './group-commit.js';
import { refuseInsideUnitOfWork } from './unit-guard.js';
import type { DB } from './schema.js';

/** The embedded engine: one better-sqlite3 connection in WAL mode, writes through the group commit. */
export function openSqlite(file: string, options: OpenDatabaseOptions = {}): Database {
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
  const dialect = new ImmediateSqliteDialect({ database: cachedHandle });
  const db = new Kysely<DB>({ dialect });
  answerReadsDirectly(db, (sqlText, parameters) => {
    // The connection in use (a batch's transaction, or its COMMIT not yet flushed): the read waits its turn in kysely.
    if (dialect.connectionHeld || handle.inTransaction) return undefined;
    const statement = cachedHandle.prepare(sqlText);
    return statement.reader ? allRows(statement, parameters) : undefined;
  });
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
  /** Whether someone holds the one connection (readNow answers only while no one does, direct-read.ts). */
  held = false;

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  // Inside a unit of work the batch holds the one connection: waiting for it here would never end. The unit has
  // its own executor (store.transaction's repos); reaching for the shared one is a programming mistake.
  override async acquireConnection(): Promise<DatabaseConnection> {
    refuseInsideUnitOfWork();
    const connection = await super.acquireConnection();
    this.held = true;
    return connection;
  }

  override async releaseConnection(): Promise<void> {
    this.held = false;
    await super.releaseConnection();
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  #driver: ImmediateSqliteDriver | undefined;
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return (this.#driver = new ImmediateSqliteDriver(this.#config));
  }
  /** Whether the driver's one connection is held (by a unit of work's batch, a transaction or a query). */
  get connectionHeld(): boolean {
    return this.#driver?.held ?? true;
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
