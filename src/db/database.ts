import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { DB } from './schema.js';

export type Engine = 'sqlite' | 'postgres';

/**
 * One open database, whatever the engine. Engine differences live here and in
 * `db-errors.ts`, not in repositories.
 */
export interface Database {
  readonly engine: Engine;
  readonly db: Kysely<DB>;
  /** Runs a multi-statement SQL script (migrations) on the given transaction's connection. */
  execScript(trx: Kysely<DB>, sqlText: string): Promise<void>;
  /** Cheap round trip proving the database answers. */
  ping(): Promise<void>;
  /** Flushes the SQLite WAL into the main file (no-op on PostgreSQL). */
  checkpoint(): Promise<void>;
  close(): Promise<void>;
}

export function openDatabase(url: string): Database {
  if (url.startsWith('sqlite:')) return openSqlite(sqlitePathFromUrl(url));
  throw new TypeError(`unsupported DATABASE_URL scheme: ${url.split(':')[0]}`);
}

/** `sqlite:relative/path.db`, `sqlite:/abs/path.db`, `sqlite:///abs/path.db` and `sqlite::memory:`. */
export function sqlitePathFromUrl(url: string): string {
  const rest = url.slice('sqlite:'.length);
  if (rest === ':memory:') return rest;
  const withoutSlashes = rest.startsWith('///') ? rest.slice(2) : rest.startsWith('//') ? rest.slice(2) : rest;
  if (withoutSlashes.length === 0) throw new TypeError('DATABASE_URL: sqlite: needs a file path');
  return path.resolve(withoutSlashes);
}

function openSqlite(file: string): Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const handle = new SQLite(file);
  // WAL lets readers run beside the writer; synchronous=FULL makes an acknowledged
  // commit survive power loss (DESIGN.md §5), at the price of an fsync per commit.
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = FULL');
  handle.pragma('foreign_keys = ON');
  handle.pragma('busy_timeout = 5000');
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  return {
    engine: 'sqlite',
    db,
    async execScript(_trx, sqlText) {
      // better-sqlite3 has one connection, which the open transaction is using.
      handle.exec(sqlText);
    },
    async ping() {
      handle.prepare('SELECT 1').get();
    },
    async checkpoint() {
      handle.pragma('wal_checkpoint(TRUNCATE)');
    },
    async close() {
      await db.destroy();
    },
  };
}
