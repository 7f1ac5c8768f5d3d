import { decodeCursor } from '../core/pagination.js';

type CursorMember = 'string' | 'number';
type CursorOf<T extends readonly CursorMember[]> = { [K in keyof T]: T[K] extends 'string' ? string : number };

/**
 * Decodes `?cursor=` at the HTTP edge, so services receive the typed sort key of the last item and never the string.
 * Absent stays undefined; a cursor this API did not return answers 422 pointing at `/query/cursor`.
 */
export function cursorParam<const T extends readonly CursorMember[]>(cursor: string | undefined, types: T): CursorOf<T> | undefined {
  return cursor === undefined ? undefined : decodeCursor(cursor, types);
}
