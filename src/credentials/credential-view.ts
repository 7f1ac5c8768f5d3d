import type { Brand } from '../brands/define-brand.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import { notFound } from '../core/app-error.js';
import type { CredentialRepo, CredentialRow, CredentialRowWithCount, CredentialViewRow } from './credentials.repo.js';
import type { CredentialView } from './credentials.schemas.js';

/** The credential view (docs/design.md §2.1) of a row: identity and setting fields, never a secret. */
export function toCredentialView(row: CredentialViewRow): CredentialView {
  // Assigned onto the parsed object, not spread into a literal: V8 copies a JSON.parse result through its slow path
  // (about 12 µs per row against 0.5, measured in docs/performance.md), which was a third of a list page's CPU. The
  // row's own members are assigned last, so they win over a field of the same name, as the spread's order made them.
  const view = JSON.parse(row.fields) as Record<string, unknown>;
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
