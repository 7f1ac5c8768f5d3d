import { describe, expect, it } from 'vitest';
import { createStatementNames } from './pg-statement-names.js';

describe('createStatementNames', () => {
  it('gives a text the same name every time, and another text another name', () => {
    const nameOf = createStatementNames();
    const insert = nameOf('insert into "items" ("name") values ($1)', 1);
    expect(insert).toMatch(/^fleetvault_\d+$/);
    expect(nameOf('insert into "items" ("name") values ($1)', 1)).toBe(insert);
    expect(nameOf('select "name" from "items" where "name" = $1', 1)).not.toBe(insert);
  });

  it('names no text without parameters (it may be a script) and none whose result columns are `*`', () => {
    const nameOf = createStatementNames();
    expect(nameOf('BEGIN; SAVEPOINT unit', 0)).toBeUndefined();
    expect(nameOf('select * from "items" where "name" = $1', 1)).toBeUndefined();
    expect(nameOf('insert into "items" ("name") values ($1) returning *', 1)).toBeUndefined();
  });

  it('stops naming new texts at its limit and keeps the names it gave', () => {
    const nameOf = createStatementNames(2);
    const first = nameOf('select "a" from "t" where "a" = $1', 1);
    nameOf('select "b" from "t" where "b" = $1', 1);
    expect(nameOf('select "c" from "t" where "c" = $1', 1)).toBeUndefined();
    expect(nameOf('select "a" from "t" where "a" = $1', 1)).toBe(first);
  });
});
