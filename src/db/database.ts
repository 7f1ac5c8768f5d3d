import path from 'node:path';
import type { Kysely } from 'kysely';
import { openPostgres } from './postgres-database.js';
import type { DB } from './schema.js';
import { openSqlite } from './sqlite-database.js';

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
 * One open database, whatever the engine. Engine differences live in sqlite-database.ts, postgres-database.ts and
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
