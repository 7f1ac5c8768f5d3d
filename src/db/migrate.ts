import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'kysely';
import type { Database } from './database.js';
import { projectRoot } from './project-root.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
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

/**
 * Applies the migrations not yet recorded in `schema_migrations`, each in its own
 * transaction together with its record, so a failed migration leaves nothing half done.
 * Returns the versions applied.
 */
export async function migrate(database: Database, migrations = readMigrations(database.engine)): Promise<number[]> {
  const { db } = database;
  // Callers hold the start-up lock (Database.withStartupLock), so replicas do not race here.
  await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`.execute(db);
  const applied = new Set((await db.selectFrom('schema_migrations').select('version').execute()).map((r) => r.version));
  const done: number[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    await db.transaction().execute(async (trx) => {
      await database.execScript(trx, migration.sql);
      await trx
        .insertInto('schema_migrations')
        .values({ version: migration.version, name: migration.name, applied_at: new Date().toISOString() })
        .execute();
    });
    done.push(migration.version);
  }
  return done;
}
