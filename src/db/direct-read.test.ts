import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CompiledQuery, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './database.js';
import { readNow } from './direct-read.js';

let dir: string;
let database: Database;
const names = CompiledQuery.raw('SELECT name FROM items ORDER BY name', []) as CompiledQuery<{ name: string }>;
const readNames = async () => (await readNow(database.db, names)).rows.map((row) => row.name);

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Whether `promise` has settled after the event loop has had a full turn (a timer) to settle it. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 30));
  return settled;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-direct-read-'));
  database = openDatabase(`sqlite:${path.join(dir, 'test.db')}`);
  await sql`CREATE TABLE items (name TEXT PRIMARY KEY)`.execute(database.db);
  await sql`INSERT INTO items (name) VALUES ('committed')`.execute(database.db);
});

afterEach(async () => {
  await database.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('reads answered at once on SQLite', () => {
  it('answers at once while nothing holds the connection', async () => {
    const read = readNames();
    expect(await settledSoon(read)).toBe(true);
    expect(await read).toEqual(['committed']);
  });

  it('waits while a unit of work is open and then sees its row: never a write that is not yet committed', async () => {
    const inside = gate();
    const release = gate();
    const unit = database.transaction(async (trx) => {
      await sql`INSERT INTO items (name) VALUES ('in-the-unit')`.execute(trx);
      inside.open();
      await release.opened;
    });
    await inside.opened;
    const read = readNames();
    expect(await settledSoon(read)).toBe(false);
    release.open();
    await unit;
    expect(await read).toEqual(['committed', 'in-the-unit']);
  });

  it('waits while the connection is held outside a transaction (as during a batch’s WAL flush)', async () => {
    const holding = gate();
    const release = gate();
    const held = database.db.connection().execute(async () => {
      holding.open();
      await release.opened;
    });
    await holding.opened;
    const read = readNames();
    expect(await settledSoon(read)).toBe(false);
    release.open();
    await held;
    expect(await read).toEqual(['committed']);
  });

  it('fails a read it cannot run with a rejected promise, as kysely would', async () => {
    const missing = CompiledQuery.raw('SELECT name FROM no_such_table', []);
    let thrown: unknown;
    const read = (() => {
      try {
        return readNow(database.db, missing);
      } catch (error) {
        thrown = error;
        return undefined;
      }
    })();
    expect(thrown).toBeUndefined();
    await expect(read).rejects.toThrow(/no such table/);
  });

  it('sends statements that write through kysely, never the direct path', async () => {
    const insert = CompiledQuery.raw("INSERT INTO items (name) VALUES ('written')", []);
    const result = await readNow(database.db, insert);
    expect(result.numAffectedRows).toBe(1n);
    expect(await readNames()).toEqual(['committed', 'written']);
  });
});
