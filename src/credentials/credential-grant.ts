import type { Brand } from '../brands/define-brand.js';
import { allowsBrand, type Grant } from '../core/grant.js';
import { AppError, notFound } from '../core/app-error.js';

/**
 * A restricted client creates only inside its restriction (docs/grants.md): a brand outside it is
 * not found, as the credential would be; an id restriction allows no new credential (it has no id yet).
 */
export function assertMayCreate(grant: Grant, brand: Brand): void {
  if (!allowsBrand(grant.restriction, brand.slug)) throw notFound('Credential');
  if (grant.restriction?.credentialIds !== undefined) {
    throw new AppError('insufficient-scope', 'A client restricted to credential ids cannot create credentials.');
  }
}
