import type { Kysely, Selectable } from 'kysely';
import type { DB, VaultKeysTable } from '../db/schema.js';

export type VaultKeyRow = Selectable<VaultKeysTable>;
export type SealedVaultKey = Pick<VaultKeyRow, 'id' | 'purpose' | 'kek_id' | 'sealed_key'>;

/** SQL of vault_keys: the token-signing and client-secret-hash keys, sealed by a master key. */
export function createVaultKeyRepo(db: Kysely<DB>) {
  return {
    /** The newest live key of a purpose. */
    async findLive(purpose: VaultKeyRow['purpose']): Promise<VaultKeyRow | undefined> {
      return db
        .selectFrom('vault_keys')
        .selectAll()
        .where('purpose', '=', purpose)
        .where('retired_at', 'is', null)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .executeTakeFirst();
    },

    /** The token-signing keys not yet retired at `now` (ISO), newest first: the ones that sign or still verify. */
    async signingKeys(now: string): Promise<VaultKeyRow[]> {
      return db
        .selectFrom('vault_keys')
        .selectAll()
        .where('purpose', '=', 'token-signing')
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now)]))
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
    },

    /** Schedules every live key of a purpose to retire at `at`; returns their ids. */
    async retireLive(purpose: VaultKeyRow['purpose'], at: string): Promise<string[]> {
      const rows = await db
        .updateTable('vault_keys')
        .set({ retired_at: at })
        .where('purpose', '=', purpose)
        .where('retired_at', 'is', null)
        .returning('id')
        .execute();
      return rows.map((row) => row.id);
    },

    async insert(row: VaultKeyRow): Promise<void> {
      await db.insertInto('vault_keys').values(row).execute();
    },

    /** Keys sealed by a master key other than `kekId`. */
    async sealedByOtherThan(kekId: string): Promise<SealedVaultKey[]> {
      return db.selectFrom('vault_keys').select(['id', 'purpose', 'kek_id', 'sealed_key']).where('kek_id', '!=', kekId).execute();
    },

    /** Re-seals one key if it is still under `fromKekId`; false when another rotation did it first. */
    async reseal(id: string, fromKekId: string, to: { kek_id: string; sealed_key: Buffer }): Promise<boolean> {
      const result = await db.updateTable('vault_keys').set(to).where('id', '=', id).where('kek_id', '=', fromKekId).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type VaultKeyRepo = ReturnType<typeof createVaultKeyRepo>;
