import { AppError } from '../core/app-error.js';
import type { CredentialView } from './credentials.schemas.js';

/** Strong validator of a credential's state: changes with every rotation. */
export function credentialEtag(view: Pick<CredentialView, 'id' | 'secret_version' | 'updated_at'>): string {
  return `"${view.secret_version}-${Date.parse(view.updated_at).toString(36)}"`;
}

/**
 * RFC 9110 §13.1.1: `If-Match` holds `*` or a list of entity tags, compared strongly
 * (a weak tag `W/"…"` never matches). Absent means no precondition.
 */
export function ifMatchSatisfied(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined) return true;
  if (ifMatch.trim() === '*') return true;
  return ifMatch.split(',').some((tag) => tag.trim() === etag);
}

/** 412 `precondition-failed` unless `If-Match` holds for the credential as read (PATCH, restore, DELETE). */
export function requireIfMatch(ifMatch: string | undefined, view: Pick<CredentialView, 'id' | 'secret_version' | 'updated_at'>): void {
  if (!ifMatchSatisfied(ifMatch, credentialEtag(view))) {
    throw new AppError('precondition-failed', 'The credential changed since the given ETag was read.');
  }
}
