import { IntegrityError, open, randomKey, seal } from './aead.js';
import { secretsAad, webhookSecretAad } from './associated-data.js';
import type { DataKeyRepo, DataKeyRow, StoredDataKey } from './data-keys.repo.js';
import type { MasterKeyWrapper, WrapBinding } from './master-key-provider.js';
import type { VaultKeyRepo } from './vault-keys.repo.js';

/** Stops the start-up: the configured master keys cannot open what the database holds. */
export class MasterKeyMismatchError extends Error {
  override name = 'MasterKeyMismatchError';
}

/**
 * How often a running process re-checks the data keys it holds unwrapped and drops those destroyed
 * meanwhile (a data-key rotation or a fleet purge, by the CLI or another replica): the interval at
 * which replicas re-read the signing keys (src/tokens/signing-keys.ts).
 */
export const DATA_KEY_RECHECK_MS = 10_000;

/** Where a seal reads the fleet's active data key: the data-key repository of the unit of work that writes the seal. */
export type ActiveDataKeys = Pick<DataKeyRepo, 'active'>;

const dataKeyBinding = (row: Pick<StoredDataKey, 'id' | 'fleet_id'>): WrapBinding => ({
  kind: 'data-key',
  fleetId: row.fleet_id,
  dataKeyId: row.id,
});
const vaultKeyBinding = (row: { id: string; purpose: string }): WrapBinding => ({ kind: 'vault-key', keyId: row.id, purpose: row.purpose });

/**
 * Envelope encryption (docs/design.md §3): master keys (KEKs) wrap one data key (DEK) per fleet;
 * DEKs seal credential secrets. The master keys are providers' wrappers (src/crypto/master-key-provider.ts):
 * the keyring asks them to wrap and unwrap and never sees a token's key. Unwrapped DEKs are cached in
 * memory until `evictDestroyed` finds their row gone (deps.ts runs it every DATA_KEY_RECHECK_MS).
 */
export function createKeyring(deps: {
  masterKeys: readonly MasterKeyWrapper[];
  repos: { dataKeys: DataKeyRepo; vaultKeys: VaultKeyRepo };
}) {
  const { masterKeys, repos } = deps;
  const active = masterKeys[0];
  if (active === undefined) throw new TypeError('keyring: at least one master key is required');
  const byId = new Map(masterKeys.map((k) => [k.id, k]));
  /** Unwrapped DEKs by key id. A key's bytes never change (re-wrapping changes only its wrapping). */
  const dataKeys = new Map<string, Buffer>();

  function kek(id: string): MasterKeyWrapper {
    const key = byId.get(id);
    if (key === undefined) {
      throw new MasterKeyMismatchError(`the database holds keys wrapped by master key "${id}", which is not configured`);
    }
    return key;
  }

  /** A fresh DEK, wrapped by the active master key: insert the row in the same transaction as its fleet (or rotation). */
  function newWrappedDataKey(fleetId: string, createdAt: string, id: string): DataKeyRow {
    const dek = randomKey();
    const wrapped = active!.wrap(dek, { kind: 'data-key', fleetId, dataKeyId: id });
    dataKeys.set(id, dek);
    return { id, fleet_id: fleetId, kek_id: active!.id, wrapped_key: wrapped, created_at: createdAt };
  }

  function unwrap(row: StoredDataKey): Buffer {
    return kek(row.kek_id).unwrap(row.wrapped_key, dataKeyBinding(row));
  }

  function cached(row: StoredDataKey): Buffer {
    let dek = dataKeys.get(row.id);
    if (dek === undefined) {
      dek = unwrap(row);
      dataKeys.set(row.id, dek);
    }
    return dek;
  }

  function forgetDataKey(id: string): void {
    dataKeys.get(id)?.fill(0);
    dataKeys.delete(id);
  }

  async function dataKey(fleetId: string, id: string | null): Promise<Buffer> {
    const known = id === null ? undefined : dataKeys.get(id);
    if (known !== undefined) return known;
    const row = id === null ? undefined : await repos.dataKeys.find(fleetId, id);
    if (row === undefined) throw new IntegrityError(`data key ${id ?? '(destroyed)'} of fleet ${fleetId} does not exist`);
    return cached(row);
  }

  /**
   * The key new secrets of the fleet are sealed under, read through the unit of work that writes the sealed value
   * (one indexed row, once per batch): the value is written under the key that is active in its own transaction,
   * so a replica seals under a rotated key at once, without a cache to expire, and a rotation never destroys
   * a key between the read and the write (docs/design.md §3).
   */
  async function activeDataKey(dataKeys: ActiveDataKeys, fleetId: string): Promise<{ id: string; key: Buffer }> {
    const row = await dataKeys.active(fleetId);
    if (row === undefined) throw new IntegrityError(`fleet ${fleetId} has no data key`);
    return { id: row.id, key: cached(row) };
  }

  function openWith(dek: Buffer, fleetId: string, credentialId: string, secretVersion: number, sealed: Buffer): Uint8Array {
    try {
      return open(sealed, dek, secretsAad(fleetId, credentialId, secretVersion));
    } catch (error) {
      // Name the row (ids are not secrets) so the integrity-failure log says which one to investigate.
      if (!(error instanceof IntegrityError)) throw error;
      throw new IntegrityError(
        `secrets of credential ${credentialId} (fleet ${fleetId}, secret_version ${secretVersion}) do not open: ${error.message}`,
      );
    }
  }

  return {
    activeMasterKeyId: active.id,
    /** Every configured master key's id, the active one first (never the keys themselves). */
    masterKeyIds: masterKeys.map((k) => k.id) as readonly string[],
    newWrappedDataKey,

    /**
     * Seals under the fleet's newest data key, read through `dataKeys` (the repository of the unit of work that
     * writes the row); the row stores `dataKeyId` beside the sealed value.
     */
    async sealSecrets(
      dataKeys: ActiveDataKeys,
      fleetId: string,
      credentialId: string,
      secretVersion: number,
      secrets: Record<string, string>,
    ) {
      const plaintext = Buffer.from(JSON.stringify(secrets), 'utf8');
      const dek = await activeDataKey(dataKeys, fleetId);
      return { sealed: seal(plaintext, dek.key, secretsAad(fleetId, credentialId, secretVersion)), dataKeyId: dek.id };
    },

    /** Opens with the data key the row names (any of the fleet's keys, while a re-encryption runs). */
    async openSecrets(
      fleetId: string,
      credentialId: string,
      secretVersion: number,
      sealed: Buffer,
      dataKeyId: string | null,
    ): Promise<Record<string, string>> {
      const plaintext = openWith(await dataKey(fleetId, dataKeyId), fleetId, credentialId, secretVersion, sealed);
      return JSON.parse(Buffer.from(plaintext).toString('utf8')) as Record<string, string>;
    },

    /** Re-seals a sealed value under another of the fleet's keys, same place (associated data) and version. */
    async resealSecrets(
      fleetId: string,
      credentialId: string,
      secretVersion: number,
      sealed: Buffer,
      from: string,
      to: string,
    ): Promise<Buffer> {
      const plaintext = openWith(await dataKey(fleetId, from), fleetId, credentialId, secretVersion, sealed);
      return seal(plaintext, await dataKey(fleetId, to), secretsAad(fleetId, credentialId, secretVersion));
    },

    /** A webhook's signing secret, sealed like credential secrets under the fleet's newest data key (docs/webhooks.md). */
    async sealWebhookSecret(dataKeys: ActiveDataKeys, fleetId: string, webhookId: string, version: number, secret: string) {
      const dek = await activeDataKey(dataKeys, fleetId);
      const sealed = seal(Buffer.from(secret, 'utf8'), dek.key, webhookSecretAad(fleetId, webhookId, version));
      return { sealed, dataKeyId: dek.id };
    },

    async openWebhookSecret(
      fleetId: string,
      webhookId: string,
      version: number,
      sealed: Buffer,
      dataKeyId: string | null,
    ): Promise<string> {
      const plaintext = open(sealed, await dataKey(fleetId, dataKeyId), webhookSecretAad(fleetId, webhookId, version));
      return Buffer.from(plaintext).toString('utf8');
    },

    /** Re-seals a webhook secret under another of the fleet's keys (a data-key rotation), same place and version. */
    async resealWebhookSecret(
      fleetId: string,
      webhookId: string,
      version: number,
      sealed: Buffer,
      from: string,
      to: string,
    ): Promise<Buffer> {
      const aad = webhookSecretAad(fleetId, webhookId, version);
      return seal(open(sealed, await dataKey(fleetId, from), aad), await dataKey(fleetId, to), aad);
    },

    /** Forgets a destroyed data key's bytes in this process. */
    forgetDataKey,

    /**
     * Drops (zeroes) every cached data key whose row no longer exists: destroyed by a rotation or a
     * purge anywhere, this process included. Returns the ids dropped. A key cached while its row's
     * transaction is still open may be dropped too; it is unwrapped again at its next use.
     */
    async evictDestroyed(): Promise<string[]> {
      const held = [...dataKeys.keys()];
      if (held.length === 0) return [];
      const live = new Set(await repos.dataKeys.existing(held));
      const gone = held.filter((id) => !live.has(id));
      for (const id of gone) forgetDataKey(id);
      return gone;
    },

    /**
     * Throws a `MasterKeyUnavailableError` while a configured master key cannot be used (a token away):
     * the readiness probe, so a replica that cannot unwrap leaves the load balancer (docs/hsm.md).
     */
    checkMasterKeys(): void {
      for (const key of masterKeys) key.check();
    },

    /** The ids of the data keys this process holds unwrapped (for inspection; never the bytes). */
    cachedDataKeyIds(): string[] {
      return [...dataKeys.keys()];
    },

    sealVaultKey(keyId: string, purpose: string, material: Uint8Array) {
      return { kek_id: active.id, sealed_key: active.wrap(material, { kind: 'vault-key', keyId, purpose }) };
    },

    openVaultKey(row: { id: string; purpose: string; kek_id: string; sealed_key: Buffer }): Buffer {
      try {
        return kek(row.kek_id).unwrap(row.sealed_key, vaultKeyBinding(row));
      } catch (error) {
        if (error instanceof IntegrityError) {
          throw new MasterKeyMismatchError(`master key "${row.kek_id}" does not open the database's vault keys: wrong master key?`);
        }
        throw error;
      }
    },

    /**
     * Master key rotation (docs/design.md §3), online: re-wraps every DEK and vault key still under
     * an older master key with the active one. The DEKs themselves do not change, so no secret
     * is re-encrypted and replicas keep serving. Each update is conditional on the old kek_id,
     * so two rotations running at once do each row once.
     */
    async rewrapToActive(): Promise<{ dataKeys: number; vaultKeys: number }> {
      let dataKeysDone = 0;
      for (const row of await repos.dataKeys.wrappedByOtherThan(active.id)) {
        const wrapped = active.wrap(unwrap(row), dataKeyBinding(row));
        if (await repos.dataKeys.rewrap(row.id, row.kek_id, { kek_id: active.id, wrapped_key: wrapped })) dataKeysDone++;
      }
      let vaultKeysDone = 0;
      for (const row of await repos.vaultKeys.sealedByOtherThan(active.id)) {
        const material = kek(row.kek_id).unwrap(row.sealed_key, vaultKeyBinding(row));
        const resealed = { kek_id: active.id, sealed_key: active.wrap(material, vaultKeyBinding(row)) };
        if (await repos.vaultKeys.reseal(row.id, row.kek_id, resealed)) vaultKeysDone++;
      }
      return { dataKeys: dataKeysDone, vaultKeys: vaultKeysDone };
    },

    /**
     * Proves at start-up that the configured master keys open every wrapped key in the
     * database, so a wrong key stops the start instead of failing requests later.
     */
    async verifyMasterKeys(): Promise<void> {
      for (const row of await repos.dataKeys.all()) {
        try {
          dataKeys.set(row.id, unwrap(row));
        } catch (error) {
          if (error instanceof IntegrityError) {
            throw new MasterKeyMismatchError(
              `master key "${row.kek_id}" does not open the data key of fleet ${row.fleet_id}: wrong master key?`,
            );
          }
          throw error;
        }
      }
    },
  };
}

export type Keyring = ReturnType<typeof createKeyring>;
