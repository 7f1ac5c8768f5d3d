import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { Brand } from '../brands/define-brand.js';
import { AppError } from '../core/app-error.js';
import type { Clock } from '../core/clock.js';
import type { Actor, ActorContext } from '../core/context.js';
import type { Grant } from '../core/grant.js';
import type { ActiveDataKeys, Keyring } from '../crypto/keyring.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { Store } from '../db/store.js';
import type { CredentialChanges } from './credential-changes.js';
import { eventOf, loadCredential, toCredentialView } from './credential-view.js';
import type { CredentialRepo, CredentialRow, CredentialRowWithCount, RotationUpdate } from './credentials.repo.js';
import type { CredentialView } from './credentials.schemas.js';
import { requireIfMatch } from './etag.js';
import { LOST_RACE, retrySecretWrite } from './secret-write-retry.js';
import type { SealedRow } from './sealed-rows.repo.js';

/** What a rotation or a restore makes the credential's new current secrets (version N+1). */
export type SecretChange =
  | {
      kind: 'rotated';
      secrets: Record<string, string>;
      /** The fields the caller gave, for the event (names only). */
      fields: string[];
      /** True when `?verify=true` exchanged with these secrets: the verdict is then `authorized` (docs/design.md §2.9). */
      verified: boolean;
    }
  | { kind: 'restored'; secrets: Record<string, string>; restoredFrom: number };

type SealedColumns = Pick<CredentialRow, 'fleet_id' | 'id' | 'secret_version' | 'sealed_secrets' | 'data_key_id'>;

/** The actor stored with a version; null for versions made before the audit trail existed. */
export function parseCreatedBy(text: string | null): Actor | null {
  return text === null ? null : (JSON.parse(text) as Actor);
}

/**
 * The one writer (and opener) of a credential's sealed secrets: create seals through it, rotate and restore
 * replace the current version through it, reveal and the exchange open through it, and a data-key rotation
 * re-seals through it. It alone calls the keyring for secrets and writes the sealed columns of both credential
 * tables, and every write it makes follows one retry policy (`secret-write-retry.ts`).
 */
/** The repositories (and methods) the writer uses: its store and unit of work are typed over them. */
export interface SealedSecretsRepos {
  credentials: Pick<CredentialRepo, 'findById' | 'rotateSecrets' | 'versions' | 'sealed'>;
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
  /** The seal reads the fleet's active data key in the unit that writes it (keyring.ts). */
  dataKeys: ActiveDataKeys;
}

export function createSealedSecrets(deps: {
  store: Store<SealedSecretsRepos>;
  keyring: Keyring;
  clock: Clock;
  audit: AuditTrail;
  /** Secret versions kept per credential, the current one included (docs/design.md §2.8). */
  secretVersionsKept: number;
  /** Where each committed change of a credential's secrets is announced. */
  changes: CredentialChanges;
}) {
  const { store, keyring, clock, audit, secretVersionsKept: kept, changes } = deps;

  /**
   * Makes the new sealed secrets current if the credential is still at `current.secret_version`, keeps the
   * replaced version (sealed as it was: its own version is in its associated data) and destroys what falls out
   * of the last `kept` versions (docs/design.md §2.8). False when a concurrent change got there first.
   */
  async function replaceCurrent(
    repos: SealedSecretsRepos,
    current: CredentialRow,
    next: { sealed: Buffer; dataKeyId: string; version: number; now: string; createdBy: Actor; verified: boolean },
  ): Promise<RotationUpdate | undefined> {
    const update: RotationUpdate = {
      sealed_secrets: next.sealed,
      data_key_id: next.dataKeyId,
      secret_version: next.version,
      updated_at: next.now,
      secret_updated_at: next.now,
      secret_created_by: JSON.stringify(next.createdBy),
      // New secrets have no verdict yet (docs/design.md §2.9), unless they were just verified.
      status: next.verified ? 'authorized' : 'unknown',
      status_checked_at: next.verified ? next.now : null,
    };
    if (!(await repos.credentials.rotateSecrets(current.fleet_id, current.id, current.secret_version, update))) return undefined;
    const versions = repos.credentials.versions;
    if (kept > 1) {
      await versions.insert({
        credential_id: current.id,
        fleet_id: current.fleet_id,
        secret_version: current.secret_version,
        sealed_secrets: current.sealed_secrets,
        data_key_id: current.data_key_id,
        created_at: current.secret_updated_at,
        created_by: current.secret_created_by,
      });
    }
    await versions.destroyBefore(current.fleet_id, current.id, next.version - kept + 1);
    return update;
  }

  const eventFor = (context: ActorContext, current: CredentialRow, change: SecretChange, version: number) =>
    change.kind === 'rotated'
      ? { ...eventOf(context, current), action: 'credential.rotated' as const, details: { secret_version: version, fields: change.fields } }
      : {
          ...eventOf(context, current),
          action: 'credential.restored' as const,
          details: { secret_version: version, restored_from: change.restoredFrom },
        };

  return {
    /**
     * Seals a new credential's first secrets inside the unit of work that inserts them (`repos`, its repositories),
     * under the data key active in that transaction (docs/design.md §3).
     */
    seal: (
      repos: Pick<SealedSecretsRepos, 'dataKeys'>,
      fleetId: string,
      credentialId: string,
      version: number,
      secrets: Record<string, string>,
    ) => keyring.sealSecrets(repos.dataKeys, fleetId, credentialId, version, secrets),

    /** The current secrets of a row, opened with the data key it names. */
    open: (row: SealedColumns): Promise<Record<string, string>> =>
      keyring.openSecrets(row.fleet_id, row.id, row.secret_version, row.sealed_secrets, row.data_key_id),

    /** The secrets of `version` (the current one, or a kept earlier one); 404 once destroyed. */
    async openVersion(grant: Grant, row: CredentialRowWithCount, version: number): Promise<Record<string, string>> {
      const earlier =
        version < row.secret_version
          ? await store.repos.credentials.versions.find(row.fleet_id, row.id, version, grant.restriction)
          : undefined;
      const sealed = version === row.secret_version ? row : earlier;
      if (sealed === undefined) {
        throw new AppError('not-found', `Secret version ${version} of this credential does not exist or has been destroyed.`);
      }
      return keyring.openSecrets(row.fleet_id, row.id, version, sealed.sealed_secrets, sealed.data_key_id);
    },

    /**
     * Replaces the current secrets with what `plan` makes of the current row (a rotation merges, a restore opens
     * an earlier version), as version N+1 with its event, in one transaction; then announces the change. `plan`
     * runs again on each attempt (retrySecretWrite): a merge onto a concurrent winner, or under a new data key.
     */
    async replace(
      context: ActorContext,
      brand: Brand,
      id: string,
      ifMatch: string | undefined,
      plan: (current: CredentialRowWithCount) => Promise<SecretChange>,
    ): Promise<CredentialView> {
      const { fleetId } = context;
      const current = await retrySecretWrite(ifMatch !== undefined, async () => {
        const current = await loadCredential(store.repos.credentials, context, brand, id);
        requireIfMatch(ifMatch, toCredentialView(current));
        const change = await plan(current);
        const version = current.secret_version + 1;
        const now = clock.now().toISOString();
        const verified = change.kind === 'rotated' && change.verified;
        const written = await store.transaction(
          async (repos) => {
            // Sealed in the unit, under the key active in its transaction (keyring.ts): an AEAD seal of a few
            // hundred bytes is microseconds, less than the round trip a read outside it would cost.
            const { sealed, dataKeyId } = await keyring.sealSecrets(repos.dataKeys, fleetId, current.id, version, change.secrets);
            const update = await replaceCurrent(repos, current, { sealed, dataKeyId, version, now, createdBy: context.actor, verified });
            if (update !== undefined) await audit.append(repos, eventFor(context, current, change, version));
            return update;
          },
          { fleetId },
        );
        if (written === undefined) return LOST_RACE;
        changes.announce({ kind: change.kind, fleetId, credentialId: current.id, brand: brand.slug });
        // The row as written is the response, as a create's is: no read after the commit.
        return { ...current, ...written };
      });
      return toCredentialView(current);
    },

    /**
     * Moves up to `limit` of the fleet's sealed values (current first, then kept) from the `old` data keys to
     * `target` (docs/data-key-rotation.md), sealing outside the transaction. A row changed since it was read
     * (a rotation won) is skipped and looked at again in a later batch. Not announced on CredentialChanges: a
     * re-seal changes the key a value is sealed under, not the secrets nor their version, so cached brand tokens
     * stay valid and no change of secrets is counted.
     */
    async resealBatch(fleetId: string, target: string, old: readonly string[], limit: number): Promise<{ read: number; moved: number }> {
      const sealedRows = store.repos.credentials.sealed;
      const current = await sealedRows.currentUnder(fleetId, old, limit);
      const earlier = current.length < limit ? await sealedRows.keptUnder(fleetId, old, limit - current.length) : [];
      const reseal = async (row: SealedRow) => ({
        row,
        to: {
          data_key_id: target,
          sealed_secrets: await keyring.resealSecrets(
            fleetId,
            row.credential_id,
            row.secret_version,
            row.sealed_secrets,
            row.data_key_id,
            target,
          ),
        },
      });
      const currentDone = await Promise.all(current.map(reseal));
      const earlierDone = await Promise.all(earlier.map(reseal));
      const moved = await store.transaction(
        async (repos) => {
          let n = 0;
          for (const { row, to } of currentDone) if (await repos.credentials.sealed.resealCurrent(fleetId, row, to)) n++;
          for (const { row, to } of earlierDone) if (await repos.credentials.sealed.resealKept(fleetId, row, to)) n++;
          return n;
        },
        { fleetId },
      );
      return { read: current.length + earlier.length, moved };
    },
  };
}

export type SealedSecrets = ReturnType<typeof createSealedSecrets>;
