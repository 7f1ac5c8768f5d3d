import { validationFailed } from './app-error.js';

/**
 * Opaque keyset cursors: the sort key of the last item of a page, base64url JSON.
 * Opaque to clients so the sort key can change without breaking them.
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** Decodes a cursor whose members have the given types, or answers 422 pointing at `cursor`. */
export function decodeCursor<T extends readonly ('string' | 'number')[]>(
  cursor: string,
  types: T,
): { [K in keyof T]: T[K] extends 'string' ? string : number } {
  const invalid = () => validationFailed([{ pointer: '/query/cursor', detail: 'is not a cursor this API returned' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== types.length) throw invalid();
  parsed.forEach((value, i) => {
    if (typeof value !== types[i]) throw invalid();
    // Every number this API puts in a cursor is a small integer, every string free of U+0000:
    // 0.5, 1e400 (Infinity) or 99999999999 reached PostgreSQL's integer columns as a 500.
    if (typeof value === 'number' && !(Number.isInteger(value) && Math.abs(value) <= 2 ** 31 - 1)) throw invalid();
    if (typeof value === 'string' && value.includes('\u0000')) throw invalid();
  });
  return parsed as { [K in keyof T]: T[K] extends 'string' ? string : number };
}

/** Fetch `limit + 1` rows; the extra row only says whether a next page exists. */
export function pageOf<Row, Item>(
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
  keyOf: (row: Row) => (string | number)[],
): { items: Item[]; next_cursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toItem),
    next_cursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null,
  };
}

/**
 * A page whose items are JSON texts already, as the JSON of `{ items, next_cursor }`: the credential list's items come
 * as JSON from the engine and are not parsed and serialized again (docs/performance.md).
 */
export function pageJson(page: { items: readonly string[]; next_cursor: string | null }): string {
  return `{"items":[${page.items.join(',')}],"next_cursor":${JSON.stringify(page.next_cursor)}}`;
}
