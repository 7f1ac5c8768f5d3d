import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { FleetlessContext } from '../core/context.js';
import type { Keyring } from '../crypto/keyring.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { VaultKeyRepo } from '../crypto/vault-keys.repo.js';
import type { Store } from '../db/store.js';
import { rotateSigningKey } from '../tokens/signing-keys.js';

/**
 * The vault-wide key operations of the fleetvault command (docs/design.md §3), each recorded in the
 * system audit chain: master-key rotation (re-wraps) and signing-key rotation.
 */
export function createKeyService(deps: {
  /** Its unit of work: the audit events and the signing keys' rows. */
  store: Store<{ audit: AuditRepo; webhookDeliveries: AuditOutbox; vaultKeys: VaultKeyRepo }>;
  keyring: Keyring;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}) {
  const { store, keyring, clock, ids, audit } = deps;
  return {
    /**
     * Re-wraps every data key and vault key under the active master key, row by row (online), then
     * records `keys.master_rotated`. A crash in between leaves rows re-wrapped and no event: the next
     * run records the rotation (each row is re-wrapped once, so it counts only what is left).
     */
    async rotateMaster(context: FleetlessContext): Promise<{ dataKeys: number; vaultKeys: number }> {
      const done = await keyring.rewrapToActive();
      await store.transaction((repos) =>
        audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'keys.master_rotated',
          target: { type: 'key', id: keyring.activeMasterKeyId },
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          details: { kek_id: keyring.activeMasterKeyId, data_keys_rewrapped: done.dataKeys, vault_keys_resealed: done.vaultKeys },
        }),
      );
      return done;
    },

    /** Adds a signing key and schedules the older one's retirement, with its event, in one transaction. */
    async rotateSigning(context: FleetlessContext): Promise<{ kid: string; retired: string[]; retiresAt: string }> {
      return store.transaction(async (repos) => {
        const rotated = await rotateSigningKey(repos, { keyring, clock, ids });
        await audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'keys.signing_rotated',
          target: { type: 'key', id: rotated.kid },
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          details: { kid: rotated.kid, retired_kids: rotated.retired, retires_at: rotated.retiresAt },
        });
        return rotated;
      });
    },
  };
}

export type KeyService = ReturnType<typeof createKeyService>;
