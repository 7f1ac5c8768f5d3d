import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import { requireBrand } from '../brands/brand-registry.js';
import type { ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { Store } from '../db/store.js';
import type { CredentialRepo } from './credentials.repo.js';
import type { CredentialView } from './credentials.schemas.js';
import { eventOf, loadCredential } from './credential-view.js';
import { envFileName, toEnvFile } from './env-file.js';
import { parseCreatedBy, type SealedSecrets } from './sealed-secrets.js';

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
/** The repositories (and methods) the secrets service uses: its store and unit of work are typed over them. */
export interface CredentialSecretServiceRepos {
  credentials: Pick<CredentialRepo, 'findById' | 'versions'>;
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
}

export function createCredentialSecretService(deps: {
  store: Store<CredentialSecretServiceRepos>;
  audit: AuditTrail;
  /** The one writer of sealed secrets: reveal opens, restore replaces through it. */
  secrets: SealedSecrets;
}) {
  const { store, audit, secrets: sealedSecrets } = deps;

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
      const secrets = await sealedSecrets.openVersion(context, row, version);
      const fields = JSON.parse(row.fields) as Record<string, string>;
      const answer: Revealed =
        options.format === 'env'
          ? { format: 'env', file: toEnvFile(brand, { ...fields, ...secrets }), fileName: envFileName(brand) }
          : { format: 'json', id: row.id, brand: row.brand, secret_version: version, fields, secrets };
      await options.beforeRecord?.();
      await store.transaction(
        (repos) =>
          audit.append(repos, {
            ...eventOf(context, row),
            action: 'credential.revealed',
            details: { secret_version: version, format: options.format },
          }),
        { fleetId: context.fleetId },
      );
      return answer;
    },

    async versions(grant: Grant, brandSlug: string, id: string): Promise<{ items: SecretVersionView[] }> {
      const row = await loadCredential(store.repos.credentials, grant, requireBrand(brandSlug), id);
      const earlier = await store.repos.credentials.versions.list(grant.fleetId, row.id, grant.restriction);
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
      // Restoring n onto whatever is current when the write commits: a concurrent rotation is retried like a PATCH's.
      return sealedSecrets.replace(context, requireBrand(brandSlug), id, ifMatch, async (current) => ({
        kind: 'restored',
        secrets: await sealedSecrets.openVersion(context, current, restoredFrom),
        restoredFrom,
      }));
    },
  };
}

export type CredentialSecretService = ReturnType<typeof createCredentialSecretService>;
