import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { allRows } from './sqlite-rows.js';

let handle: SQLite.Database;

beforeEach(() => {
  handle = new SQLite(':memory:');
  handle.exec(`CREATE TABLE items (name TEXT, count INTEGER, ratio REAL, blob BLOB, note TEXT);
    INSERT INTO items VALUES ('a', 1, 0.5, x'00ff', NULL), ('b', 2, 1.5, NULL, 'second')`);
});
afterEach(() => handle.close());

describe('allRows', () => {
  it('answers exactly what statement.all answers: every column of every row, values and types, in order', () => {
    const statement = handle.prepare('SELECT name, count, ratio, blob, note FROM items WHERE count >= ? ORDER BY name');
    const expected = statement.all([1]);
    expect(allRows(statement, [1])).toEqual(expected);
    expect(allRows(statement, [2])).toEqual([{ name: 'b', count: 2, ratio: 1.5, blob: null, note: 'second' }]);
    expect(allRows(statement, [3])).toEqual([]);
  });

  it('keeps the last value of a name two columns share, as statement.all does', () => {
    const statement = handle.prepare("SELECT name, 'first' AS name FROM items ORDER BY 1");
    expect(allRows(statement, [])).toEqual(statement.all());
    expect(allRows(statement, [])).toEqual([{ name: 'first' }, { name: 'first' }]);
  });

  it('leaves the shared statement answering objects, also when the read fails', () => {
    const statement = handle.prepare('SELECT name FROM items WHERE count = ?');
    allRows(statement, [1]);
    expect(statement.all([1])).toEqual([{ name: 'a' }]);
    expect(() => allRows(statement, [1, 2])).toThrow(RangeError);
    expect(statement.all([2])).toEqual([{ name: 'b' }]);
  });
});
