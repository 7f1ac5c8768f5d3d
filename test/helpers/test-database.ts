import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Where a test app keeps its data: the engine comes from the vitest project (TEST_ENGINE). */
export interface TestStorage {
  engine: 'sqlite' | 'postgres';
  /** DATABASE_URL for the app; undefined means the SQLite default under the data dir. */
  databaseUrl: string | undefined;
  pgSchema: string | undefined;
  drop(): Promise<void>;
}

export function testEngine(): 'sqlite' | 'postgres' {
  return process.env.TEST_ENGINE === 'postgres' ? 'postgres' : 'sqlite';
}

/** A fresh PostgreSQL schema per test app, so parallel test files never share rows. */
export async function createTestStorage(): Promise<TestStorage> {
  if (testEngine() === 'sqlite') return { engine: 'sqlite', databaseUrl: undefined, pgSchema: undefined, drop: async () => {} };
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_ENGINE=postgres needs TEST_DATABASE_URL');
  const schema = `fv_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  return {
    engine: 'postgres',
    databaseUrl: url,
    pgSchema: schema,
    drop: async () => {
      await adminQuery(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

export async function adminQuery(url: string, text: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}
