import { open, seal } from './aead.js';
import { dataKeyAad, vaultKeyAad } from './associated-data.js';
import type { MasterKey } from './master-keys.js';

/**
 * What a wrapped key is bound to (its associated data): a wrapping copied to another row, fleet or
 * purpose does not open. Each provider turns it into the associated data of its own mechanism.
 */
export type WrapBinding = { kind: 'data-key'; fleetId: string; dataKeyId: string } | { kind: 'vault-key'; keyId: string; purpose: string };

/** Where the root keys live (docs/design.md §3, FLEETVAULT_MASTER_KEY_PROVIDER). */
export type MasterKeyProviderName = 'file' | 'pkcs11';

/**
 * One master key (key-encryption key), wherever it lives. The keyring wraps and unwraps data keys
 * and vault keys through it and never holds the master key's bytes: under `pkcs11` they never
 * leave the token. `id` is what the `kek_id` column of a wrapped row holds: a file key's own id
 * (letters, digits, `.`, `_`, `-`), or `pkcs11:<key label>` (docs/hsm.md), so a row names the
 * provider and the key that wrapped it.
 */
export interface MasterKeyWrapper {
  readonly id: string;
  readonly provider: MasterKeyProviderName;
  wrap(material: Uint8Array, binding: WrapBinding): Buffer;
  /** Throws an `IntegrityError` when the wrapping does not open with this key and binding. */
  unwrap(wrapped: Uint8Array, binding: WrapBinding): Buffer;
  /** Throws a `MasterKeyUnavailableError` while the key cannot be used (the readiness probe). */
  check(): void;
}

/** The key exists but cannot be used now (the token is away, its session lost and not regained). */
export class MasterKeyUnavailableError extends Error {
  override name = 'MasterKeyUnavailableError';
}

/** The file binding keeps its version-1 associated data, so every install's existing rows open unchanged. */
function fileAad(binding: WrapBinding): string {
  return binding.kind === 'data-key' ? dataKeyAad(binding.fleetId) : vaultKeyAad(binding.keyId, binding.purpose);
}

/** A master key from FLEETVAULT_MASTER_KEYS or _FILE: XChaCha20-Poly1305 in this process (src/crypto/aead.ts). */
export function fileMasterKey(key: MasterKey): MasterKeyWrapper {
  return {
    id: key.id,
    provider: 'file',
    wrap: (material, binding) => seal(material, key.key, fileAad(binding)),
    unwrap: (wrapped, binding) => Buffer.from(open(wrapped, key.key, fileAad(binding))),
    check: () => undefined,
  };
}
