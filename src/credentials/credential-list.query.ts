import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { CredentialRestriction } from '../core/grant.js';
import { compiledQuery } from '../db/compiled-query.js';
import { withinRestriction } from '../db/credential-restriction.js';
import type { Engine } from '../db/database.js';
import type { DB } from '../db/schema.js';
import type { CredentialListKey } from './credentials.repo.js';
import { viewMembers } from './credential-view.js';

/** What a view is made of (GET by id, toCredentialView): the view's own members, its public fields and its sort key. */
export const viewColumns = [...viewMembers, 'fields', 'name_key', 'name_missing'] as const;

/**
 * The view's own members (`viewMembers`) as one JSON object, written by the engine: a list page's row is then one
 * string and the credential's public fields (`fields`, JSON already), not thirteen values, and no object is built and
 * serialized again per row (`listItemJson`, docs/performance.md). The expression is made of column names only.
 * SQLite: json_object (https://sqlite.org/json1.html#jobj); PostgreSQL: json_build_object
 * (https://www.postgresql.org/docs/15/functions-json.html), whose text is valid JSON with spaces around `:`.
 */
function viewJson(engine: Engine): RawBuilder<string> {
  const members = viewMembers.map((member) => `'${member}', credentials.${member}`).join(', ');
  return sql<string>`${sql.raw(engine === 'sqlite' ? `json_object(${members})` : `json_build_object(${members})::text`)}`;
}

/** A list page's row: the view's members as JSON, the public fields, and the sort key a cursor is made of. */
export interface CredentialListRow {
  view: string;
  fields: string;
  brand: string;
  name_missing: number;
  name_key: string;
  id: string;
}

/** What one list page's statement depends on; `pattern` is the LIKE pattern of `q`, already escaped. */
export interface ListValues {
  fleetId: string;
  brand?: string | undefined;
  nameKey?: string | undefined;
  pattern?: string | undefined;
  after?: CredentialListKey | undefined;
  limit: number;
  restriction?: CredentialRestriction | undefined;
}

/** A list page, in the list's order: (name missing, name key, id). */
export function listSelect(db: Kysely<DB>, engine: Engine, v: ListValues) {
  let query = db
    .selectFrom('credentials')
    .select([
      viewJson(engine).as('view'),
      'credentials.fields',
      'credentials.brand',
      'credentials.name_missing',
      'credentials.name_key',
      'credentials.id',
    ])
    .where('credentials.fleet_id', '=', v.fleetId);
  if (v.brand !== undefined) query = query.where('credentials.brand', '=', v.brand);
  if (v.restriction !== undefined) {
    query = query.where(withinRestriction(v.restriction, v.fleetId, { credentialId: 'credentials.id', brand: 'credentials.brand' }));
  }
  if (v.nameKey !== undefined) query = query.where('credentials.name_missing', '=', 0).where('credentials.name_key', '=', v.nameKey);
  if (v.pattern !== undefined) {
    // A search over names: an unnamed credential matches no `q`, not even an empty one. The escape character
    // must be declared for the escaping to hold on both engines.
    query = query
      .where('credentials.name_missing', '=', 0)
      .where(sql<boolean>`${sql.ref('credentials.name_key')} LIKE ${v.pattern} ESCAPE '\\'`);
  }
  if (v.after !== undefined) {
    const [missing, key, id] = v.after;
    query = query.where((eb) =>
      eb(eb.refTuple('credentials.name_missing', 'credentials.name_key', 'credentials.id'), '>', eb.tuple(missing, key, id)),
    );
  }
  return query.orderBy('credentials.name_missing').orderBy('credentials.name_key').orderBy('credentials.id').limit(v.limit);
}

/** The compiled statement of one unrestricted filter shape: which of brand, name, q and cursor it has. */
export function compiledList(engine: Engine, brand: unknown, nameKey: unknown, pattern: unknown, after: unknown) {
  const has = (value: unknown, ...names: string[]) => (value === undefined ? [] : names);
  const names = [
    'fleetId',
    'limit',
    ...has(brand, 'brand'),
    ...has(nameKey, 'nameKey'),
    ...has(pattern, 'pattern'),
    ...has(after, 'missing', 'key', 'id'),
  ];
  return compiledQuery(names, (db, v: Record<string, never>) =>
    listSelect(db, engine, {
      fleetId: v.fleetId!,
      limit: v.limit!,
      brand: brand === undefined ? undefined : v.brand,
      nameKey: nameKey === undefined ? undefined : v.nameKey,
      pattern: pattern === undefined ? undefined : v.pattern,
      after: after === undefined ? undefined : [v.missing!, v.key!, v.id!],
    }),
  );
}
