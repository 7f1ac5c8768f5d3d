import type { AuditTrail } from '../audit/audit.service.js';
import { requireBrand } from '../brands/brand-registry.js';
import type { Clock } from '../core/clock.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Store } from '../db/store.js';
import { AppError, notFound } from '../core/app-error.js';
import type { CredentialRowWithCount } from './credentials.repo.js';
import type { CredentialChanges } from './credential-changes.js';
import type { CredentialView } from './credentials.schemas.js';
import { eventOf, loadCredential, toCredentialView } from './credential-view.js';
import { requireIfMatch } from './etag.js';
import { envFileName, toEnvFile } from './env-file.js';
import { withLiveDataKey } from './live-data-key.js';
import { parseCreatedBy, replaceCurrentSecrets } from './secret-versions.js';

export interface RevealedSecrets {
  id: string;
  brand: string;
  secret_version: number;
  /** Identity and setting fields, as in the credential view. */
  fields: Record<string, string>;
  secrets: Record<string, string>;
}

/** What a reveal answers: the secrets as JSON, or the env file built from them (docs/design.md §2.7). */
export type RevealFormat = 'json' | 'env';
export type Revealed = ({ format: 'json' } & RevealedSecrets) | { format: 'env'; file: string; fileName: string };

export interface RevealOptions {
  version?: number | undefined;
  format: RevealFormat;
  /**
   * Runs once the answer is built and before the reveal is recorded (the route's reveal rate
   * limit): a reveal refused before this point (404, 422) neither is recorded nor spends it.
   */
  beforeRecord?: () => Promise<void>;
}

export interface SecretVersionView {
  secret_version: number;
  created_at: string;
  created_by: { type: 'client' | 'cli' | 'system' | 'person'; id: string } | null;
  state: 'current' | 'previous' | 'retained';
}

/**
 * Handing secrets out (docs/design.md §2.7) and their kept versions (§2.8). A reveal is committed to the
 * audit trail before the secrets are returned: when the event cannot be written, nothing leaves.
 */
export function createCredentialSecretService(deps: {
  store: Store;
  keyring: Keyring;
  clock: Clock;
  audit: AuditTrail;
  secretVersionsKept: number;
  /** Where each committed change of a credential's secrets is announced. */
  changes: CredentialChanges;
}) {
  const { store, keyring, clock, audit, secretVersionsKept, changes } = deps;

  /** The secrets of `version` (the current one, or a kept earlier one), opened with the data key its row names; 404 once destroyed. */
  async function openVersion(grant: Grant, row: CredentialRowWithCount, version: number): Promise<Record<string, string>> {
    const kept =
      version < row.secret_version ? await store.repos.secretVersions.find(row.fleet_id, row.id, version, grant.restriction) : undefined;
    const sealed = version === row.secret_version ? row : kept;
    if (sealed === undefined)
      throw new AppError('not-found', `Secret version ${version} of this credential does not exist or has been destroyed.`);
    return keyring.openSecrets(row.fleet_id, row.id, version, sealed.sealed_secrets, sealed.data_key_id);
  }

  return {
    /**
     * Opens the secrets, builds the answer in the asked format (an env file that cannot carry a
     * value is 422 here, before anything is recorded), then commits `credential.revealed`; only
     * then does the answer leave.
     */
    async reveal(context: ActorContext, brandSlug: string, id: string, options: RevealOptions): Promise<Revealed> {
      const brand = requireBrand(brandSlug);
      const row = await loadCredential(store.repos.credentials, context, brand, id);
      const version = options.version ?? row.secret_version;
      const secrets = await openVersion(context, row, version);
      const fields = JSON.parse(row.fields) as Record<string, string>;
      const answer: Revealed =
        options.format === 'env'
          ? { format: 'env', file: toEnvFile(brand, { ...fields, ...secrets }), fileName: envFileName(brand) }
          : { format: 'json', id: row.id, brand: row.brand, secret_version: version, fields, secrets };
      await options.beforeRecord?.();
      await store.transaction((repos) =>
        audit.append(repos, {
          ...eventOf(context, row),
          action: 'credential.revealed',
          details: { secret_version: version, format: options.format },
        }),
      );
      return answer;
    },

    async versions(grant: Grant, brandSlug: string, id: string): Promise<{ items: SecretVersionView[] }> {
      const row = await loadCredential(store.repos.credentials, grant, requireBrand(brandSlug), id);
      const earlier = await store.repos.secretVersions.list(grant.fleetId, row.id, grant.restriction);
      const current: SecretVersionView = {
        secret_version: row.secret_version,
        created_at: row.secret_updated_at,
        created_by: parseCreatedBy(row.secret_created_by),
        state: 'current',
      };
      return {
        items: [
          current,
          ...earlier.map((version, index) => ({
            secret_version: version.secret_version,
            created_at: version.created_at,
            created_by: parseCreatedBy(version.created_by),
            state: index === 0 && version.secret_version === row.secret_version - 1 ? ('previous' as const) : ('retained' as const),
          })),
        ],
      };
    },

    /** A new current version (N+1) holding version n's secrets (docs/design.md §2.8); `If-Match` as for PATCH. */
    async restore(context: ActorContext, brandSlug: string, id: string, restoredFrom: number, ifMatch?: string): Promise<CredentialView> {
      const brand = requireBrand(brandSlug);
      return withLiveDataKey(async () => {
        const row = await loadCredential(store.repos.credentials, context, brand, id);
        requireIfMatch(ifMatch, toCredentialView(row));
        const secrets = await openVersion(context, row, restoredFrom);
        const version = row.secret_version + 1;
        const now = clock.now().toISOString();
        const { sealed, dataKeyId } = await keyring.sealSecrets(row.fleet_id, row.id, version, secrets);
        const won = await store.transaction(async (repos) => {
          const next = { sealed, dataKeyId, version, now, createdBy: context.actor };
          if (!(await replaceCurrentSecrets(repos, row, next, secretVersionsKept))) return false;
          await audit.append(repos, {
            ...eventOf(context, row),
            action: 'credential.restored',
            details: { secret_version: version, restored_from: restoredFrom },
          });
          return true;
        });
        if (!won) throw new AppError('precondition-failed', 'The credential was rotated concurrently; read it again and retry.');
        changes.announce({ kind: 'restored', fleetId: context.fleetId, credentialId: row.id, brand: brand.slug });
        const updated = await store.repos.credentials.findById(context.fleetId, row.id);
        if (updated === undefined) throw notFound('Credential');
        return toCredentialView(updated);
      });
    },
  };
}

export type CredentialSecretService = ReturnType<typeof createCredentialSecretService>;
