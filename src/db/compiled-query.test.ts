import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledQuery } from './compiled-query.js';
import type { DB } from './schema.js';

let db: Kysely<DB>;

beforeAll(async () => {
  const handle = new SQLite(':memory:');
  handle.exec(`CREATE TABLE fleet_data_keys (id TEXT PRIMARY KEY, fleet_id TEXT NOT NULL, kek_id TEXT NOT NULL,
    wrapped_key BLOB NOT NULL, created_at TEXT NOT NULL)`);
  db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  for (const [id, fleet, at] of [
    ['k1', 'fleet-a', '2026-01-01'],
    ['k2', 'fleet-a', '2026-02-01'],
    ['k3', 'fleet-b', '2026-03-01'],
  ] as const) {
    const row = { id, fleet_id: fleet, kek_id: 'kek', wrapped_key: Buffer.alloc(1), created_at: at };
    await db.insertInto('fleet_data_keys').values(row).execute();
  }
});

afterAll(async () => {
  await db.destroy();
});

const newest = compiledQuery(['fleetId'], (executor, v) =>
  executor.selectFrom('fleet_data_keys').select('id').where('fleet_id', '=', v.fleetId).orderBy('created_at', 'desc').limit(1),
);

describe('compiledQuery', () => {
  it('runs the one compiled statement with each call’s values, keeping the builder’s constants (LIMIT 1)', async () => {
    expect((await newest(db, 'sqlite', { fleetId: 'fleet-a' })).rows).toEqual([{ id: 'k2' }]);
    expect((await newest(db, 'sqlite', { fleetId: 'fleet-b' })).rows).toEqual([{ id: 'k3' }]);
    expect((await newest(db, 'sqlite', { fleetId: 'fleet-c' })).rows).toEqual([]);
  });

  it('binds a value, never splices it into the SQL', async () => {
    expect((await newest(db, 'sqlite', { fleetId: "fleet-a' OR '1'='1" })).rows).toEqual([]);
  });

  it('refuses a call without one of the values instead of binding NULL', async () => {
    await expect(newest(db, 'sqlite', {} as { fleetId: string })).rejects.toThrow(TypeError);
  });

  it('refuses at its first use a query that does not bind every named value', async () => {
    const forgetful = compiledQuery(['fleetId', 'id'], (executor, v) =>
      executor.selectFrom('fleet_data_keys').select('id').where('fleet_id', '=', v.fleetId),
    );
    await expect(forgetful(db, 'sqlite', { fleetId: 'fleet-a', id: 'k1' })).rejects.toThrow(/id not bound/);
  });
});
