import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Engine } from './database.js';
import { readNow } from './direct-read.js';
import type { DB } from './schema.js';

/** Marks a parameter of the query being compiled; cannot collide with a real value (NUL is refused in every input). */
const MARK = '\u0000fleetvault-parameter:';

type Slot = { name: string } | { constant: unknown };

/**
 * A query of a fixed shape, built and compiled once per engine and then run with each call's values: kysely's
 * builder and compiler cost about as much as SQLite's execution of a point query (docs/performance.md). `build`
 * gets a placeholder for every name in `names`, and every bound parameter of the compiled query must be one of
 * them or a constant of the builder (checked at the first compile, a TypeError otherwise). Only for queries whose
 * SQL text never depends on the values: no optional columns, no variable-length lists.
 */
export function compiledQuery<N extends string, R>(
  names: readonly N[],
  build: (db: Kysely<DB>, values: { readonly [K in N]: never }) => Compilable<R>,
): (db: Kysely<DB>, engine: Engine, values: { readonly [K in N]: unknown }) => Promise<QueryResult<R>> {
  const compiledBy = new Map<Engine, { query: CompiledQuery<R>; slots: Slot[]; reads: boolean }>();
  const compile = (db: Kysely<DB>) => {
    const placeholders = Object.fromEntries(names.map((name) => [name, `${MARK}${name}`])) as unknown as { readonly [K in N]: never };
    const query = build(db, placeholders).compile();
    const slots = query.parameters.map((parameter): Slot => {
      if (typeof parameter === 'string' && parameter.startsWith(MARK)) return { name: parameter.slice(MARK.length) };
      return { constant: parameter };
    });
    const used = new Set(slots.flatMap((slot) => ('name' in slot ? [slot.name] : [])));
    const unused = names.filter((name) => !used.has(name));
    if (unused.length > 0) throw new TypeError(`compiledQuery: ${unused.join(', ')} not bound in: ${query.sql}`);
    return { query, slots, reads: query.query.kind === 'SelectQueryNode' };
  };
  return async (db, engine, values) => {
    let compiled = compiledBy.get(engine);
    if (compiled === undefined) compiledBy.set(engine, (compiled = compile(db)));
    const parameters = compiled.slots.map((slot) => {
      if (!('name' in slot)) return slot.constant;
      const value = values[slot.name as N];
      // A missing value would silently bind NULL where the statement was compiled for a column.
      if (value === undefined) throw new TypeError(`compiledQuery: no value for ${slot.name} in: ${compiled.query.sql}`);
      return value;
    });
    const query = { ...compiled.query, parameters };
    return compiled.reads ? readNow(db, query) : db.executeQuery(query);
  };
}
