/**
 * Names for the parameterised statements a batch's units send, so PostgreSQL parses and plans each text once per
 * connection instead of once per statement (the extended query protocol's named prepared statements,
 * https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY). node-postgres sends the `Parse`
 * of a name only the first time on each connection (`parsedStatements`, pipelining included), then `Bind` alone.
 * With every write of a fleet one after another in its batch, PostgreSQL's parse and plan of each statement was time
 * the fleet's next unit waited for.
 *
 * Not named:
 * - a text without parameters: it may hold several statements (`execScript`), which a prepared statement cannot;
 * - a text with `*` in it (`select *`, `returning *`): its result columns are fixed when it is prepared, and a column
 *   added by a later migration (another replica upgrading first) would fail it with "cached plan must not change
 *   result type" for as long as the connection lives. A statement naming its columns is re-planned by PostgreSQL
 *   after a column is added (https://www.postgresql.org/docs/15/sql-prepare.html, "Notes"); one whose returned
 *   column changes type still fails, once per connection, which postgres-database.ts then replaces;
 * - anything past the first `limit` texts: built statements are few and fixed (src/db/compiled-query.ts), and the
 *   cap keeps a shape that varies (an `IN` list of any length) from preparing without end on every connection.
 */
export function createStatementNames(limit = 256): (text: string, parameterCount: number) => string | undefined {
  const names = new Map<string, string>();
  return (text, parameterCount) => {
    if (parameterCount === 0 || text.includes('*')) return undefined;
    let name = names.get(text);
    if (name === undefined && names.size < limit) names.set(text, (name = `fleetvault_${names.size}`));
    return name;
  };
}
