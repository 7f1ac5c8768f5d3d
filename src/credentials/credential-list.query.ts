import { type Kysely, sql } from 'kysely';
import type { CredentialRestriction } from '../core/grant.js';
import { compiledQuery } from '../db/compiled-query.js';
import { withinRestriction } from '../db/credential-restriction.js';
import type { DB } from '../db/schema.js';
import type { CredentialListKey } from './credentials.repo.js';

/** What a view and a list cursor are made of: every column but the sealed secrets, which a list page never opens. */
export const viewColumns = [
  'id',
  'brand',
  'name',
  'name_key',
  'name_missing',
  'fields',
  'secret_version',
  'created_at',
  'updated_at',
  'secret_updated_at',
  'status',
  'status_checked_at',
  'vehicle_count',
] as const;

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
export function listSelect(db: Kysely<DB>, v: ListValues) {
  let query = db
    .selectFrom('credentials')
    .select(viewColumns.map((column) => `credentials.${column}` as const))
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
export function compiledList(brand: unknown, nameKey: unknown, pattern: unknown, after: unknown) {
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
    listSelect(db, {
      fleetId: v.fleetId!,
      limit: v.limit!,
      brand: brand === undefined ? undefined : v.brand,
      nameKey: nameKey === undefined ? undefined : v.nameKey,
      pattern: pattern === undefined ? undefined : v.pattern,
      after: after === undefined ? undefined : [v.missing!, v.key!, v.id!],
    }),
  );
}
