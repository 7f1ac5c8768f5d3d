import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DurabilityLostError, SharedCommitFailedError } from './commit-errors.js';
import { openDatabase } from './database.js';
import { createGroupCommit, type GroupCommit, MAX_UNITS_PER_COMMIT } from './group-commit.js';
import { insideUnitOfWork } from './unit-guard.js';
import type { DB } from './schema.js';

interface Fixture {
  file: string;
  handle: SQLite.Database;
  db: Kysely<DB>;
  groupCommit: GroupCommit;
  statements: string[];
  /** What the connection's flush does (the real one fsyncs the WAL): tests hold it back or make it fail. */
  flush: () => Promise<void>;
}

let dir: string;
let fixture: Fixture;

function open(file: string): Fixture {
  const handle = new SQLite(file);
  handle.pragma('journal_mode = WAL');
  handle.pragma('synchronous = FULL');
  handle.exec('CREATE TABLE IF NOT EXISTS items (name TEXT PRIMARY KEY)');
  // A deferred reference is checked at COMMIT, so a unit can make the COMMIT itself fail.
  handle.pragma('foreign_keys = ON');
  handle.exec(`CREATE TABLE IF NOT EXISTS notes (item TEXT REFERENCES items(name) DEFERRABLE INITIALLY DEFERRED)`);
  const db = new Kysely<DB>({ dialect: new SqliteDialect({ database: handle }) });
  const statements: string[] = [];
  const run = (sqlText: string) => {
    statements.push(sqlText);
    handle.prepare(sqlText).run();
  };
  const opened: Fixture = { file, handle, db, groupCommit: undefined as never, statements, flush: () => Promise.resolve() };
  opened.groupCommit = createGroupCommit({
    batching: 'one-queue',
    withSession: (_key, fn) =>
      db.connection().execute((executor) =>
        fn({
          executor,
          begin: ['BEGIN IMMEDIATE'],
          async run(sqlTexts) {
            for (const sqlText of sqlTexts) run(sqlText);
          },
          state: () => (handle.inTransaction ? 'open' : 'idle'),
          flush: () => {
            statements.push('flush');
            return opened.flush();
          },
        }),
      ),
  });
  return opened;
}

/** What another connection (another process, or the same file after a crash) sees committed. */
function committedNames(file: string): string[] {
  const reader = new SQLite(file, { readonly: true });
  try {
    return (reader.prepare('SELECT name FROM items ORDER BY name').all() as { name: string }[]).map((row) => row.name);
  } finally {
    reader.close();
  }
}

const insert = (executor: Kysely<DB>, name: string) => sql`INSERT INTO items (name) VALUES (${name})`.execute(executor);
const commits = () => fixture.statements.filter((statement) => statement === 'COMMIT').length;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-group-commit-'));
  fixture = open(path.join(dir, 'test.db'));
});

afterEach(async () => {
  await fixture.groupCommit.idle();
  await fixture.db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('group commit', () => {
  it('commits units that arrive together with one COMMIT, and each is on disk when its promise resolves', async () => {
    const seenAtResolve: string[][] = [];
    const names = Array.from({ length: 20 }, (_, index) => `unit-${String(index).padStart(2, '0')}`);
    await Promise.all(
      names.map((name) =>
        fixture.groupCommit
          .transaction(async (executor) => {
            await insert(executor, name);
            return name;
          })
          .then((value) => {
            expect(value).toBe(name);
            seenAtResolve.push(committedNames(fixture.file));
          }),
      ),
    );
    expect(commits()).toBe(1);
    for (const seen of seenAtResolve) expect(seen).toEqual(names);
  });

  it('rolls back only the unit that throws: its neighbours in the batch commit and resolve', async () => {
    const outcomes = await Promise.allSettled([
      fixture.groupCommit.transaction((executor) => insert(executor, 'before')),
      fixture.groupCommit.transaction(async (executor) => {
        await insert(executor, 'half-done');
        throw new Error('the unit fails after its first write');
      }),
      // A constraint error inside a unit: SQLite aborts the statement, the savepoint undoes the unit.
      fixture.groupCommit.transaction(async (executor) => {
        await insert(executor, 'dup-first');
        await insert(executor, 'before');
      }),
      fixture.groupCommit.transaction((executor) => insert(executor, 'after')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('message', 'the unit fails after its first write');
    expect((outcomes[2] as PromiseRejectedResult).reason).toHaveProperty('code', 'SQLITE_CONSTRAINT_PRIMARYKEY');
    expect(committedNames(fixture.file)).toEqual(['after', 'before']);
    expect(commits()).toBe(1);
  });

  it('acknowledges no unit of a batch whose transaction SQLite rolled back, and later units still commit', async () => {
    const outcomes = await Promise.allSettled([
      fixture.groupCommit.transaction((executor) => insert(executor, 'lost-with-the-batch')),
      fixture.groupCommit.transaction(async (executor) => {
        // What SQLITE_FULL or an I/O error does: the whole transaction is rolled back under the units.
        await sql`ROLLBACK`.execute(executor);
        throw new Error('disk full');
      }),
      fixture.groupCommit.transaction((executor) => insert(executor, 'also-lost')),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('message', 'disk full');
    // The others did nothing wrong: their error says so (answered 503, retry), with the cause attached.
    for (const index of [0, 2]) {
      const reason = (outcomes[index] as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(SharedCommitFailedError);
      expect(reason.cause).toHaveProperty('message', 'disk full');
    }
    expect(committedNames(fixture.file)).toEqual([]);

    await fixture.groupCommit.transaction((executor) => insert(executor, 'next-batch'));
    expect(committedNames(fixture.file)).toEqual(['next-batch']);
  });

  it('fails the waiting units when the write lock cannot be had, instead of retrying them forever', async () => {
    fixture.handle.pragma('busy_timeout = 50');
    const other = new SQLite(fixture.file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const outcomes = await Promise.allSettled([
        fixture.groupCommit.transaction((executor) => insert(executor, 'a')),
        fixture.groupCommit.transaction((executor) => insert(executor, 'b')),
      ]);
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
      const reason = (outcomes[0] as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(SharedCommitFailedError);
      expect(reason.cause).toHaveProperty('code', 'SQLITE_BUSY');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    await fixture.groupCommit.transaction((executor) => insert(executor, 'c'));
    expect(committedNames(fixture.file)).toEqual(['c']);
  });

  it('acknowledges no unit when the COMMIT itself fails, rolls the transaction back, and commits the next batch', async () => {
    const outcomes = await Promise.allSettled([
      fixture.groupCommit.transaction((executor) => insert(executor, 'innocent')),
      // Checked only at COMMIT (deferred): the unit itself succeeds, the COMMIT is refused.
      fixture.groupCommit.transaction((executor) => sql`INSERT INTO notes (item) VALUES ('no-such-item')`.execute(executor)),
    ]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    for (const outcome of outcomes) {
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(SharedCommitFailedError);
      expect(reason.cause).toHaveProperty('code', 'SQLITE_CONSTRAINT_FOREIGNKEY');
    }
    expect(fixture.handle.inTransaction).toBe(false);
    expect(committedNames(fixture.file)).toEqual([]);

    await fixture.groupCommit.transaction((executor) => insert(executor, 'next-batch'));
    expect(committedNames(fixture.file)).toEqual(['next-batch']);
  });

  it(`puts at most ${MAX_UNITS_PER_COMMIT} units in one commit and loses none of a larger burst`, async () => {
    const names = Array.from({ length: 3 * MAX_UNITS_PER_COMMIT + 5 }, (_, index) => `burst-${String(index).padStart(3, '0')}`);
    await Promise.all(names.map((name) => fixture.groupCommit.transaction((executor) => insert(executor, name))));
    expect(commits()).toBe(4);
    expect(committedNames(fixture.file)).toEqual(names);
  });

  it('lets a unit queued while a batch runs join that batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const running = new Promise<void>((resolve) => (entered = resolve));
    const first = fixture.groupCommit.transaction(async (executor) => {
      await insert(executor, 'first');
      entered();
      await gate;
    });
    await running;
    const second = fixture.groupCommit.transaction((executor) => insert(executor, 'joined'));
    release();
    await Promise.all([first, second]);
    expect(commits()).toBe(1);
    expect(committedNames(fixture.file)).toEqual(['first', 'joined']);
  });

  it('refuses a transaction started inside a unit (it would wait for its own batch), and the batch goes on', async () => {
    let nested: Promise<unknown> | undefined;
    await fixture.groupCommit.transaction(async (executor) => {
      nested = fixture.groupCommit.transaction((inner) => insert(inner, 'nested'));
      await insert(executor, 'outer');
    });
    await expect(nested).rejects.toThrow(/started another transaction/);
    expect(committedNames(fixture.file)).toEqual(['outer']);
  });

  it('keeps a lone unit to one transaction of its own', async () => {
    await fixture.groupCommit.transaction((executor) => insert(executor, 'alone'));
    expect(fixture.statements).toEqual(['BEGIN IMMEDIATE', 'SAVEPOINT unit', 'RELEASE unit', 'COMMIT', 'flush']);
  });

  it('answers no unit before its COMMIT is flushed to disk, and keeps the connection (and so every read) until then', async () => {
    let flushed!: () => void;
    fixture.flush = () => new Promise<void>((resolve) => (flushed = resolve));
    let answered = false;
    const unit = fixture.groupCommit.transaction((executor) => insert(executor, 'waits-for-the-disk')).then(() => (answered = true));
    await vi.waitUntil(() => fixture.statements.includes('flush'), { timeout: 5_000 });
    const read = fixture.db
      .selectFrom('items' as never)
      .selectAll()
      .execute();
    let readDone = false;
    void read.then(() => (readDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([answered, readDone]).toEqual([false, false]);
    flushed();
    await unit;
    expect(answered).toBe(true);
    expect(await read).toHaveLength(1);
  });

  it('after a failed flush acknowledges no unit of that batch nor any later one, and says why', async () => {
    fixture.flush = () => Promise.reject(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    const outcomes = await Promise.allSettled([
      fixture.groupCommit.transaction((executor) => insert(executor, 'written-not-durable')),
      fixture.groupCommit.transaction(async () => {
        throw new Error('its own mistake');
      }),
    ]);
    expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(DurabilityLostError);
    expect(((outcomes[0] as PromiseRejectedResult).reason as Error).cause).toHaveProperty('code', 'EIO');
    // Rolled back to its savepoint before the COMMIT: its own error is still the truth.
    expect((outcomes[1] as PromiseRejectedResult).reason).toHaveProperty('message', 'its own mistake');
    expect(fixture.groupCommit.durabilityLost).toBeInstanceOf(DurabilityLostError);

    fixture.flush = () => Promise.resolve();
    const statementsBefore = fixture.statements.length;
    await expect(fixture.groupCommit.transaction((executor) => insert(executor, 'later'))).rejects.toBeInstanceOf(DurabilityLostError);
    expect(fixture.statements).toHaveLength(statementsBefore);
  });
});

describe('the SQLite database behind store.transaction', () => {
  it('refuses a unit that queries through the shared executor (which would wait forever for the connection)', async () => {
    const database = openDatabase(`sqlite:${path.join(dir, 'guard.db')}`);
    try {
      const unit = database.transaction(async () => {
        await sql`SELECT 1`.execute(database.db);
      });
      await expect(unit).rejects.toThrow(/shared database executor/);
      // The connection is free again: nothing hangs behind the refused unit.
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db)).rows).toEqual([{ one: 1 }]);
      await database.transaction(async (trx) => {
        await sql`SELECT 1`.execute(trx);
      });
    } finally {
      await database.close();
    }
  });

  it('commits a batch without its own fsync yet answers after the WAL sync, and leaves every other commit synchronous=FULL', async () => {
    const database = openDatabase(`sqlite:${path.join(dir, 'sync.db')}`);
    try {
      const synchronous = async () => (await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(database.db)).rows[0]?.synchronous;
      expect(await synchronous()).toBe(2);
      await database.transaction((trx) => sql`CREATE TABLE kept (x INTEGER)`.execute(trx));
      expect(await synchronous()).toBe(2);
      // A COMMIT refused (a deferred reference) restores FULL all the same.
      await sql`CREATE TABLE parent (id INTEGER PRIMARY KEY)`.execute(database.db);
      await sql`CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`.execute(database.db);
      await expect(database.transaction((trx) => sql`INSERT INTO child (p) VALUES (7)`.execute(trx))).rejects.toThrow();
      expect(await synchronous()).toBe(2);
      await database.ping();
    } finally {
      await database.close();
    }
  });

  it('marks units only while the guard is on: production opens the database without it, and units still commit', async () => {
    const guarded = openDatabase(`sqlite:${path.join(dir, 'guarded.db')}`);
    const unguarded = openDatabase(`sqlite:${path.join(dir, 'unguarded.db')}`, { guardUnits: false });
    try {
      expect(await guarded.transaction(async () => insideUnitOfWork())).toBe(true);
      expect(await unguarded.transaction(async () => insideUnitOfWork())).toBe(false);
      await unguarded.transaction((trx) => sql`CREATE TABLE kept (x INTEGER)`.execute(trx));
      expect((await sql<{ name: string }>`SELECT name FROM sqlite_master WHERE name = 'kept'`.execute(unguarded.db)).rows).toHaveLength(1);
    } finally {
      await guarded.close();
      await unguarded.close();
    }
  });
});
