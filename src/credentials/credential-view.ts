import { brands } from '../brands/brand-registry.js';
import type { Brand } from '../brands/define-brand.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import { notFound } from '../core/app-error.js';
import type { CredentialListRow } from './credential-list.query.js';
import type { CredentialRepo, CredentialRow, CredentialRowWithCount, CredentialViewRow } from './credentials.repo.js';
import type { CredentialView } from './credentials.schemas.js';

/** The credential view (docs/design.md §2.1) of a row: identity and setting fields, never a secret. */
export function toCredentialView(row: CredentialViewRow): CredentialView {
  // Assigned onto the parsed object, not spread into a literal: V8 copies a JSON.parse result through its slow path
  // (about 12 µs per row against 0.5, measured in docs/performance.md), which was a third of a list page's CPU.
  const view = publicFields(row.brand, JSON.parse(row.fields)).fields;
  view.id = row.id;
  view.brand = row.brand;
  view.name = row.name;
  view.secret_version = row.secret_version;
  view.vehicle_count = row.vehicle_count;
  view.created_at = row.created_at;
  view.updated_at = row.updated_at;
  view.secret_updated_at = row.secret_updated_at;
  view.status = row.status;
  view.status_checked_at = row.status_checked_at;
  return view as CredentialView;
}

/** The view's members that are the row's own columns, in the order a list item writes them; its public fields follow. */
export const viewMembers = [
  'id',
  'brand',
  'name',
  'secret_version',
  'vehicle_count',
  'created_at',
  'updated_at',
  'secret_updated_at',
  'status',
  'status_checked_at',
] as const satisfies readonly (keyof CredentialView)[];

/** Each brand's public fields (identity and setting): the only members of `fields` a view may carry. */
const publicFieldsOf = new Map(
  brands.map((brand) => [
    brand.slug,
    new Set([...brand.identityFields, ...brand.settingFields].filter((field) => !(viewMembers as readonly string[]).includes(field))),
  ]),
);

/**
 * The members of a parsed `fields` column that the credential's brand declares public, each a string: every writer
 * stores only those, so `fields` is usually the parsed object itself. Anything else (a secret or another brand's
 * field written by a bug or by hand, a member named like one of the row's own) is left out of a copy, so the view
 * never carries a member its brand does not declare.
 */
function publicFields(brand: string, parsed: unknown): { fields: Record<string, unknown>; empty: boolean } {
  const allowed = publicFieldsOf.get(brand);
  const fields = (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  let whole = fields === parsed;
  let empty = true;
  for (const field in fields) {
    empty = false;
    if (allowed?.has(field) !== true || typeof fields[field] !== 'string') whole = false;
  }
  if (whole || empty) return { fields, empty };
  const kept: Record<string, unknown> = {};
  for (const field in fields) if (allowed?.has(field) === true && typeof fields[field] === 'string') kept[field] = fields[field];
  return { fields: kept, empty: Object.keys(kept).length === 0 };
}

/**
 * A list item's JSON: the view `toCredentialView` makes of the row, written from the engine's JSON of the row's own
 * members (`view`) and the members of `fields` that `publicFields` keeps, without building the view object and
 * serializing it again (docs/performance.md). The kept members are written by JSON.stringify, never spliced from the
 * stored text: text holding a member twice parses to its last value but would carry both.
 */
export function listItemJson(row: Pick<CredentialListRow, 'view' | 'fields' | 'brand'>): string {
  const { fields, empty } = publicFields(row.brand, JSON.parse(row.fields));
  if (empty) return row.view;
  return `${row.view.slice(0, row.view.lastIndexOf('}'))},${JSON.stringify(fields).slice(1)}`;
}

/**
 * The row of a credential of this brand in the grant's fleet and restriction, or 404 (another
 * fleet's, another brand's or one outside the restriction is not found alike).
 */
export async function loadCredential(
  repo: Pick<CredentialRepo, 'findById'>,
  grant: Grant,
  brand: Brand,
  id: string,
): Promise<CredentialRowWithCount> {
  return ofBrand(await repo.findById(grant.fleetId, id.toUpperCase(), grant.restriction), brand);
}

/** The view of a credential of this brand in the grant's fleet and restriction, or 404 alike (GET by id). */
export async function loadCredentialView(
  repo: Pick<CredentialRepo, 'findView'>,
  grant: Grant,
  brand: Brand,
  id: string,
): Promise<CredentialView> {
  return toCredentialView(ofBrand(await repo.findView(grant.fleetId, id.toUpperCase(), grant.restriction), brand));
}

/** The row found, if it is of this brand: another brand's credential is not found alike. */
function ofBrand<R extends { brand: string }>(row: R | undefined, brand: Brand): R {
  if (row === undefined || row.brand !== brand.slug) throw notFound('Credential');
  return row;
}

/** Who, which credential and which request: the part every credential event shares. */
export function eventOf(context: ActorContext, row: Pick<CredentialRow, 'id' | 'brand'>) {
  return {
    fleetId: context.fleetId,
    actor: context.actor,
    target: { type: 'credential', id: row.id, brand: row.brand },
    requestId: context.requestId,
    clientRequestId: context.clientRequestId,
  };
}
