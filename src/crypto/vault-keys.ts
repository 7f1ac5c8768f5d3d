import type { Clock, IdGenerator } from '../core/clock.js';
import type { VaultKeysTable } from '../db/schema.js';
import type { Keyring } from './keyring.js';
import type { VaultKeyRepo } from './vault-keys.repo.js';

export interface VaultKey {
  id: string;
  material: Buffer;
  publicJwk: Record<string, unknown> | null;
}

/**
 * The newest live key of a purpose, created (and sealed by the active master key) when the
 * database has none. Stored in the database so every replica signs and hashes alike.
 */
export async function loadOrCreateVaultKey(
  deps: { vaultKeys: VaultKeyRepo; keyring: Keyring; clock: Clock; ids: IdGenerator },
  purpose: VaultKeysTable['purpose'],
  generate: (id: string) => { material: Buffer; publicJwk?: Record<string, unknown> },
): Promise<VaultKey> {
  const { vaultKeys, keyring, clock, ids } = deps;
  let row = await vaultKeys.findLive(purpose);
  if (row === undefined) {
    const id = ids.next();
    const { material, publicJwk } = generate(id);
    const sealed = keyring.sealVaultKey(id, purpose, material);
    await vaultKeys.insert({
      id,
      purpose,
      ...sealed,
      public_jwk: publicJwk === undefined ? null : JSON.stringify(publicJwk),
      created_at: clock.now().toISOString(),
      retired_at: null,
    });
    row = (await vaultKeys.findLive(purpose))!;
  }
  return {
    id: row.id,
    material: keyring.openVaultKey(row),
    publicJwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as Record<string, unknown>),
  };
}
