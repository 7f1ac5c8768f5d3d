import type { Kysely } from 'kysely';
import type { DB, VaultKeysTable } from '../db/schema.js';
import type { Clock, IdGenerator } from '../http/clock.js';
import type { Keyring } from './keyring.js';

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
  deps: { db: Kysely<DB>; keyring: Keyring; clock: Clock; ids: IdGenerator },
  purpose: VaultKeysTable['purpose'],
  generate: (id: string) => { material: Buffer; publicJwk?: Record<string, unknown> },
): Promise<VaultKey> {
  const { db, keyring, clock, ids } = deps;
  const find = () =>
    db
      .selectFrom('vault_keys')
      .selectAll()
      .where('purpose', '=', purpose)
      .where('retired_at', 'is', null)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirst();
  let row = await find();
  if (row === undefined) {
    const id = ids.next();
    const { material, publicJwk } = generate(id);
    const sealed = keyring.sealVaultKey(id, purpose, material);
    await db
      .insertInto('vault_keys')
      .values({
        id,
        purpose,
        ...sealed,
        public_jwk: publicJwk === undefined ? null : JSON.stringify(publicJwk),
        created_at: clock.now().toISOString(),
        retired_at: null,
      })
      .execute();
    row = (await find())!;
  }
  return {
    id: row.id,
    material: keyring.openVaultKey(row),
    publicJwk: row.public_jwk === null ? null : (JSON.parse(row.public_jwk) as Record<string, unknown>),
  };
}
