import fs from 'node:fs';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { Database } from './database.js';
import { projectRoot } from './project-root.js';
import type { DB } from './schema.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface MigrateOptions {
  /** Apply only the migrations up to this version (a restore loads an older backup's rows at their own schema). */
  upTo?: number;
}

/** Numbered `NNNN_name.sql` files of one engine, in order. */
export function readMigrations(engine: Database['engine'], dir = path.join(projectRoot(), 'migrations', engine)): Migration[] {
  return fs
    .readdirSync(dir)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort()
    .map((file) => ({
      version: Number(file.slice(0, 4)),
      name: file.slice(5, -4),
      sql: fs.readFileSync(path.join(dir, file), 'utf8'),
    }));
}

async function pendingMigrations(db: Kysely<DB>, migrations: readonly Migration[], options: MigrateOptions): Promise<Migration[]> {
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`.execute(db);
  const applied = new Set((await db.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
  return migrations.filter((m) => !applied.has(m.version) && (options.upTo === undefined || m.version <= options.upTo));
}

async function applyMigration(database: Database, trx: Kysely<DB>, migration: Migration): Promise<void> {
  await database.execScript(trx, migration.sql);
  await trx
    .insertInto('schema_migrations')
    .values({ version: migration.version, name: migration.name, applied_at: new Date().toISOString() })
    .execute();
}

/**
 * Applies the migrations not yet recorded in `schema_migrations` (up to `options.upTo` when given), each in its own
 * transaction together with its record, so a failed migration leaves nothing half done. Returns the versions applied.
 */
export async function migrate(
  database: Database,
  migrations: readonly Migration[] = readMigrations(database.engine),
  options: MigrateOptions = {},
): Promise<number[]> {
  // Callers hold the start-up lock (Database.withStartupLock), so replicas do not race here.
  const done: number[] = [];
  for (const migration of await pendingMigrations(database.db, migrations, options)) {
    await database.db.transaction().execute((trx) => applyMigration(database, trx, migration));
    done.push(migration.version);
  }
  return done;
}

/**
 * The same inside the caller's open transaction `trx`: nothing is committed here, so a restore can migrate, load and
 * migrate further all or nothing (DDL is transactional on both engines; the migrations hold no PRAGMA or COMMIT).
 */
export async function migrateWithin(
  database: Database,
  trx: Kysely<DB>,
  migrations: readonly Migration[] = readMigrations(database.engine),
  options: MigrateOptions = {},
): Promise<number[]> {
  const done: number[] = [];
  for (const migration of await pendingMigrations(trx, migrations, options)) {
    await applyMigration(database, trx, migration);
    done.push(migration.version);
  }
  return done;
}
