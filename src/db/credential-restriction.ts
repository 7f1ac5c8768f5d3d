import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { CredentialRestriction } from '../core/grant.js';

/**
 * The condition that keeps a query inside a client's restriction (docs/grants.md), for a `WHERE`:
 * rows outside it are never read, so a page, a count or a cursor cannot reveal them.
 * `credentialId` is the column naming the credential; `brand` the column of its brand when the
 * row has one (the credentials table), else the brand is looked up in `credentials` of `fleetId`.
 */
export function withinRestriction(
  restriction: CredentialRestriction,
  fleetId: string,
  columns: { credentialId: string; brand?: string },
): RawBuilder<SqlBool> {
  const id = sql.ref(columns.credentialId);
  const parts: RawBuilder<unknown>[] = [];
  if (restriction.credentialIds !== undefined) parts.push(sql`${id} IN (${sql.join(restriction.credentialIds)})`);
  if (restriction.brands !== undefined) {
    const brands = sql.join(restriction.brands);
    parts.push(
      columns.brand !== undefined
        ? sql`${sql.ref(columns.brand)} IN (${brands})`
        : sql`${id} IN (SELECT r.id FROM credentials r WHERE r.fleet_id = ${fleetId} AND r.brand IN (${brands}))`,
    );
  }
  // A restriction always names something (refused at creation otherwise); an empty one matches nothing.
  if (parts.length === 0) return sql<SqlBool>`1 = 0`;
  return sql<SqlBool>`(${sql.join(parts, sql` AND `)})`;
}
