import type { Actor } from '../core/context.js';
import type { Repos } from '../db/store.js';
import type { CredentialRow } from './credentials.repo.js';

export interface NextSecrets {
  sealed: Buffer;
  /** The data key `sealed` is under. */
  dataKeyId: string;
  version: number;
  now: string;
  createdBy: Actor;
  /** The brand verdict of the new secrets (docs/design.md §2.9): unknown until an exchange, unless just verified. */
  status?: 'unknown' | 'authorized';
  status_checked_at?: string | null;
}

/**
 * Makes `next` the credential's current secrets if it is still at `current.secret_version`, keeps
 * the replaced version (sealed as it was, its own version in the associated data) and destroys
 * what falls out of the last `kept` versions (docs/design.md §2.8). Runs in the caller's transaction.
 * False when a concurrent change got there first: nothing was written.
 */
export async function replaceCurrentSecrets(repos: Repos, current: CredentialRow, next: NextSecrets, kept: number): Promise<boolean> {
  const won = await repos.credentials.rotateSecrets(current.fleet_id, current.id, current.secret_version, {
    sealed_secrets: next.sealed,
    data_key_id: next.dataKeyId,
    secret_version: next.version,
    updated_at: next.now,
    secret_updated_at: next.now,
    secret_created_by: JSON.stringify(next.createdBy),
    status: next.status ?? 'unknown',
    status_checked_at: next.status_checked_at ?? null,
  });
  if (!won) return false;
  if (kept > 1) {
    await repos.secretVersions.insert({
      credential_id: current.id,
      fleet_id: current.fleet_id,
      secret_version: current.secret_version,
      sealed_secrets: current.sealed_secrets,
      data_key_id: current.data_key_id,
      created_at: current.secret_updated_at,
      created_by: current.secret_created_by,
    });
  }
  await repos.secretVersions.destroyBefore(current.fleet_id, current.id, next.version - kept + 1);
  return true;
}

/** The actor stored with a version; null for versions made before the audit trail existed. */
export function parseCreatedBy(text: string | null): Actor | null {
  return text === null ? null : (JSON.parse(text) as Actor);
}
