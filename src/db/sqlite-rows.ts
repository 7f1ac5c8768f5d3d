import type SQLite from 'better-sqlite3';

/** The result columns' names of each statement read through `allRows`. */
const columnNames = new WeakMap<SQLite.Statement, readonly string[]>();

/**
 * Every row of a statement that returns data, as objects keyed by column name, as `statement.all` gives them, but
 * read as arrays (`raw`) and made objects here: better-sqlite3 builds each row object in C++ one property at a time,
 * which cost a list page of 51 rows ~131 µs against ~98 µs this way (docs/performance.md). As with `all`, a name
 * that two columns share keeps the last one's value.
 */
export function allRows(statement: SQLite.Statement, parameters: readonly unknown[]): Record<string, unknown>[] {
  let names = columnNames.get(statement);
  if (names === undefined) columnNames.set(statement, (names = statement.columns().map((column) => column.name)));
  statement.raw(true);
  let arrays: unknown[][];
  try {
    arrays = statement.all(parameters) as unknown[][];
  } finally {
    // The statement is shared (the statement cache): kysely's path reads it as objects.
    statement.raw(false);
  }
  const rows: Record<string, unknown>[] = new Array(arrays.length);
  for (let index = 0; index < arrays.length; index++) {
    const values = arrays[index]!;
    const row: Record<string, unknown> = {};
    for (let column = 0; column < names.length; column++) row[names[column]!] = values[column];
    rows[index] = row;
  }
  return rows;
}
