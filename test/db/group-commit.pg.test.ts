import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/database.js';
import { SharedCommitFailedError } from '../../src/db/commit-errors.js';
import { MAX_UNITS_PER_COMMIT } from '../../src/db/group-commit.js';
import type { DB } from '../../src/db/schema.js';
import { adminQuery } from '../helpers/test-database.js';

/**
 * Group commit per fleet on PostgreSQL (src/db/group-commit.ts, `Database.transaction` with a fleet): the units of
 * one fleet share a transaction, seen here through `txid_current()` inside each unit and through what another
 * connection sees committed; other fleets' batches run beside it.
 */
const url = process.env.TEST_DATABASE_URL!;
const schema = `fv_gc_${randomBytes(6).toString('hex')}`;

let database: Database;
let reader: pg.Pool;

beforeAll(async () => {
  await adminQuery(url, `CREATE SCHEMA ${schema}`);
  await adminQuery(
    url,
    `CREATE TABLE ${schema}.fleets (id TEXT PRIMARY KEY);
     CREATE TABLE ${schema}.items (name TEXT PRIMARY KEY, fleet TEXT, txid BIGINT);
     CREATE TABLE ${schema}.notes (item TEXT REFERENCES ${schema}.items(name) DEFERRABLE INITIALLY DEFERRED);
     INSERT INTO ${schema}.fleets (id) VALUES ('fleet-a'), ('fleet-b')`,
  );
  reader = new pg.Pool({ connectionString: url, max: 4 });
});

afterAll(async () => {
  await reader?.end();
  await adminQuery(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

beforeEach(() => {
  database = openDatabase(url, { pgSchema: schema, pgPoolSize: 4 });
});

afterEach(async () => {
  await database.close();
  await adminQuery(url, `TRUNCATE ${schema}.items, ${schema}.notes`);
});

/** What another connection sees committed. */
async function committed(): Promise<{ name: string; fleet: string; txid: string }[]> {
  return (await reader.query(`SELECT name, fleet, txid::text AS txid FROM ${schema}.items ORDER BY name`)).rows;
}
const committedNames = async () => (await committed()).map((row) => row.name);

/** Inserts the item with the id of the transaction it runs in. */
const insert = (executor: Kysely<DB>, name: string, fleet = 'fleet-a') =>
  sql`INSERT INTO items (name, fleet, txid) VALUES (${name}, ${fleet}, txid_current())`.execute(executor);
const txidOf = async (executor: Kysely<DB>) =>
  (await sql<{ txid: string }>`SELECT txid_current()::text AS txid`.execute(executor)).rows[0]!.txid;

describe('group commit per fleet (PostgreSQL)', () => {
  it('commits concurrent units of one fleet in one transaction, and each is committed when its promise resolves', async () => {
    const names = Array.from({ length: 20 }, (_, index) => `unit-${String(index).padStart(2, '0')}`);
    const seenAtResolve: string[][] = [];
    await Promise.all(
      names.map((name) =>
        database
          .transaction((executor) => insert(executor, name), { fleetId: 'fleet-a' })
          .then(async () => seenAtResolve.push(await committedNames())),
      ),
    );
    const rows = await committed();
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(new Set(rows.map((row) => row.txid)).size).toBe(1);
    // Acknowledged after the COMMIT: the first promise to resolve already sees all 20 from another connection.
    for (const seen of seenAtResolve) expect(seen).toEqual(names);
  });

  it('rolls back only the unit that fails (a throw, a statement error, an error it swallowed): its neighbours commit', async () => {
    const outcomes = await Promise.allSettled([
      database.transaction((executor) => insert(executor, 'before'), { fleetId: 'fleet-a' }),
      database.transaction(
        async (executor) => {
          await insert(executor, 'thrown-away');
          throw new Error('the unit fails after its first write');
        },
        { fleetId: 'fleet-a' },
      ),
      // A statement error aborts the transaction until the rollback to the unit's savepoint.
      database.transaction((executor) => insert(executor, 'before'), { fleetId: 'fleet-a' }),
      database.transaction(
        async (executor) => {
          await insert(executor, 'swallowed');
          await insert(executor, 'before').catch(() => {});
          return 'looks fine';
        },
        { fleetId: 'fleet-a' },
      ),
      database.transaction((executor) => insert(executor, 'after'), { fleetId: 'fleet-a' }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('message', 'the unit fails after its first write');
    expect((outcomes[2] as PromiseRejectedResult).reason).toHaveProperty('code', '23505');
    expect((outcomes[3] as PromiseRejectedResult).reason).toHaveProperty(
      'message',
      expect.stringMatching(/failed and the unit carried on/),
    );
    const rows = await committed();
    expect(rows.map((row) => row.name)).toEqual(['after', 'before']);
    expect(rows[0]!.txid).toBe(rows[1]!.txid);
  });

  it('judges a unit once its own savepoint is answered: one that runs no statement after a failed unit commits', async () => {
    // The batch's savepoints travel pipelined with each unit's first statement (postgres-database.ts): the unit
    // after a failed one can be done before `ROLLBACK TO` its predecessor is answered, while the connection still
    // reports the aborted transaction.
    const outcomes = await Promise.allSettled([
      database.transaction((executor) => insert(executor, 'first'), { fleetId: 'fleet-a' }),
      database.transaction((executor) => insert(executor, 'first'), { fleetId: 'fleet-a' }),
      database.transaction(async () => 'no statement', { fleetId: 'fleet-a' }),
      database.transaction((executor) => insert(executor, 'failed').then(() => insert(executor, 'first')), { fleetId: 'fleet-a' }),
      database.transaction(async (executor) => txidOf(executor), { fleetId: 'fleet-a' }),
      database.transaction((executor) => insert(executor, 'last'), { fleetId: 'fleet-a' }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((outcomes[2] as PromiseFulfilledResult<string>).value).toBe('no statement');
    const rows = await committed();
    expect(rows.map((row) => row.name)).toEqual(['first', 'last']);
    expect((outcomes[4] as PromiseFulfilledResult<string>).value).toBe(rows[0]!.txid);
  });

  it('acknowledges no unit of a batch whose connection is lost, and the next batch commits on a new one', async () => {
    const outcomes = await Promise.allSettled([
      database.transaction((executor) => insert(executor, 'lost-with-the-batch'), { fleetId: 'fleet-a' }),
      database.transaction(
        async (executor) => {
          await insert(executor, 'lost-too');
          await sql`SELECT pg_terminate_backend(pg_backend_pid())`.execute(executor);
        },
        { fleetId: 'fleet-a' },
      ),
      database.transaction((executor) => insert(executor, 'also-lost'), { fleetId: 'fleet-a' }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const index of [0, 2]) expect((outcomes[index] as PromiseRejectedResult).reason).toBeInstanceOf(SharedCommitFailedError);
    expect(await committedNames()).toEqual([]);

    await database.transaction((executor) => insert(executor, 'next-batch'), { fleetId: 'fleet-a' });
    expect(await committedNames()).toEqual(['next-batch']);
  });

  it('acknowledges no unit when the COMMIT itself fails, and commits the next batch', async () => {
    const outcomes = await Promise.allSettled([
      database.transaction((executor) => insert(executor, 'innocent'), { fleetId: 'fleet-a' }),
      // Checked only at COMMIT (deferred): the unit itself succeeds, the COMMIT is refused.
      database.transaction((executor) => sql`INSERT INTO notes (item) VALUES ('no-such-item')`.execute(executor), {
        fleetId: 'fleet-a',
      }),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) {
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(SharedCommitFailedError);
      expect(reason.cause).toHaveProperty('code', '23503');
    }
    expect(await committedNames()).toEqual([]);

    await database.transaction((executor) => insert(executor, 'next-batch'), { fleetId: 'fleet-a' });
    expect(await committedNames()).toEqual(['next-batch']);
  });

  it("runs another fleet's batch beside a running one, never in it; a unit of the running fleet joins its batch", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const first = database.transaction(
      async (executor) => {
        await insert(executor, 'a-first');
        entered();
        await gate;
      },
      { fleetId: 'fleet-a' },
    );
    await running;
    const joined = database.transaction((executor) => insert(executor, 'a-joined'), { fleetId: 'fleet-a' });
    // Fleet B commits while fleet A's batch is still open.
    await database.transaction((executor) => insert(executor, 'b-beside', 'fleet-b'), { fleetId: 'fleet-b' });
    expect(await committedNames()).toEqual(['b-beside']);
    release();
    await Promise.all([first, joined]);
    const rows = await committed();
    expect(rows.map((row) => row.name)).toEqual(['a-first', 'a-joined', 'b-beside']);
    expect(rows[0]!.txid).toBe(rows[1]!.txid);
    expect(rows[2]!.txid).not.toBe(rows[0]!.txid);
  });

  it('holds the fleet row locked for the batch, so a second writer of the fleet (another replica) queues at its lock', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const batch = database.transaction(
      async (executor) => {
        entered();
        await gate;
        await insert(executor, 'in-batch');
      },
      { fleetId: 'fleet-a' },
    );
    await running;
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query(`BEGIN; SET LOCAL lock_timeout = '200ms'`);
      await expect(other.query(`SELECT 1 FROM ${schema}.fleets WHERE id = 'fleet-a' FOR UPDATE`)).rejects.toHaveProperty('code', '55P03');
      await other.query('ROLLBACK');
      // Another fleet's row is free.
      await other.query(
        `BEGIN; SET LOCAL lock_timeout = '200ms'; SELECT 1 FROM ${schema}.fleets WHERE id = 'fleet-b' FOR UPDATE; ROLLBACK`,
      );
    } finally {
      release();
      await batch;
      await other.end();
    }
  });

  it('gives each unit without a fleet a transaction of its own', async () => {
    const txids = await Promise.all(Array.from({ length: 5 }, () => database.transaction((executor) => txidOf(executor))));
    expect(new Set(txids).size).toBe(5);
  });

  it(`puts at most ${MAX_UNITS_PER_COMMIT} units of a fleet in one transaction and loses none of a larger burst`, async () => {
    const names = Array.from({ length: 3 * MAX_UNITS_PER_COMMIT + 5 }, (_, index) => `burst-${String(index).padStart(3, '0')}`);
    await Promise.all(names.map((name) => database.transaction((executor) => insert(executor, name), { fleetId: 'fleet-a' })));
    const rows = await committed();
    expect(rows.map((row) => row.name)).toEqual(names);
    expect(new Set(rows.map((row) => row.txid)).size).toBe(4);
  });

  it('refuses a unit that queries through the shared pool or starts another transaction, and the batch goes on', async () => {
    let nested: Promise<unknown> | undefined;
    const outcomes = await Promise.allSettled([
      database.transaction(
        async () => {
          await sql`SELECT 1`.execute(database.db);
        },
        { fleetId: 'fleet-a' },
      ),
      database.transaction(
        async (executor) => {
          nested = database.transaction((inner) => insert(inner, 'nested'), { fleetId: 'fleet-a' }).catch((error: unknown) => error);
          await insert(executor, 'outer');
        },
        { fleetId: 'fleet-a' },
      ),
    ]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toHaveProperty('message', expect.stringMatching(/shared database executor/));
    expect(outcomes[1]!.status).toBe('fulfilled');
    expect(await nested).toHaveProperty('message', expect.stringMatching(/started another transaction/));
    expect(await committedNames()).toEqual(['outer']);
  });
});

describe("a batch's statements as named prepared statements (src/db/pg-statement-names.ts)", () => {
  /** A database of one connection: each batch runs on the connection whose statements the batch before prepared. */
  let single: Database;
  /** ALTER TABLE items clauses that undo what a test migrated, run after it. */
  const undo: string[] = [];
  beforeEach(() => {
    single = openDatabase(url, { pgSchema: schema, pgPoolSize: 1 });
  });
  afterEach(async () => {
    await single.close();
    for (const clause of undo.splice(0)) await adminQuery(url, `ALTER TABLE ${schema}.items ${clause}`);
  });
  const onOneConnection = <T>(work: (executor: Kysely<DB>) => Promise<T>) => single.transaction(work, { fleetId: 'fleet-a' });
  /** What another replica's migration does to `items` under the connection's prepared statements. */
  const migrate = async (clause: string, undoClause: string) => {
    undo.push(undoClause);
    await adminQuery(url, `ALTER TABLE ${schema}.items ${clause}`);
  };

  it('parses a parameterised statement once per connection, whatever its parameters', async () => {
    const prepared = await database.transaction(
      async (executor) => {
        for (const name of ['one', 'two', 'three']) await insert(executor, name);
        return (await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(executor)).rows;
      },
      { fleetId: 'fleet-a' },
    );
    const inserts = prepared.filter((row) => row.statement.startsWith('INSERT INTO items'));
    expect(inserts).toHaveLength(1);
    expect(inserts[0]!.name).toMatch(/^fleetvault_\d+$/);
    expect(await committedNames()).toEqual(['one', 'three', 'two']);
  });

  it('keeps working when another replica adds a column under statements it has prepared, `select *` included', async () => {
    const round = (name: string) =>
      onOneConnection(async (executor) => {
        await sql`INSERT INTO items (name, fleet) VALUES (${name}, 'fleet-a') RETURNING name, fleet`.execute(executor);
        const named = await sql<{ name: string }>`SELECT name FROM items WHERE name = ${name}`.execute(executor);
        const all = await sql<Record<string, unknown>>`SELECT * FROM items WHERE name = ${name}`.execute(executor);
        return { named: named.rows, all: all.rows };
      });
    expect((await round('before-migration')).all[0]).not.toHaveProperty('added');
    await migrate('ADD COLUMN added TEXT', 'DROP COLUMN IF EXISTS added');
    const after = await round('after-migration');
    expect(after.named).toEqual([{ name: 'after-migration' }]);
    expect(after.all[0]).toHaveProperty('added', null);
  });

  it('replaces a connection whose prepared statement node-postgres lost track of: a value it could not send first', async () => {
    // A BigInt inside an object: node-postgres's JSON.stringify throws after it sent the statement's Parse.
    const tagged = (value: unknown) =>
      onOneConnection(
        async (executor) =>
          (await sql<{ tag: unknown }>`SELECT ${value}::jsonb AS tag, 'lost-track' AS test`.execute(executor)).rows[0]!.tag,
      );
    await expect(tagged({ count: 1n })).rejects.toThrow(/BigInt/);
    expect(await tagged({ count: 1 })).toEqual({ count: 1 });
    expect(await tagged({ count: 2 })).toEqual({ count: 2 });
  });

  it('replaces a connection whose prepared statement a migration made unusable (a returned column changed type)', async () => {
    const fleetOf = (name: string) =>
      onOneConnection(async (executor) => {
        await insert(executor, name);
        return (await sql<{ fleet: string }>`SELECT fleet FROM items WHERE name = ${name}`.execute(executor)).rows[0]!.fleet;
      });
    expect(await fleetOf('before-retype')).toBe('fleet-a');
    await migrate('ALTER COLUMN fleet TYPE VARCHAR(50)', 'ALTER COLUMN fleet TYPE TEXT');
    // The connection that prepared it fails once (PostgreSQL refuses the cached plan); the next batch runs on a new one.
    await expect(fleetOf('on-the-old-plan')).rejects.toHaveProperty('code', '0A000');
    expect(await fleetOf('after-retype')).toBe('fleet-a');
    expect(await fleetOf('and-after')).toBe('fleet-a');
    expect(await committedNames()).toEqual(['after-retype', 'and-after', 'before-retype']);
  });

  it('runs a script of several statements without parameters inside a unit', async () => {
    await database.transaction(
      (executor) =>
        database.execScript(executor, "INSERT INTO items (name) VALUES ('script-1'); INSERT INTO items (name) VALUES ('script-2')"),
      { fleetId: 'fleet-a' },
    );
    expect(await committedNames()).toEqual(['script-1', 'script-2']);
  });
});
