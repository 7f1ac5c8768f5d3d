import type { FleetlessContext } from '../core/context.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Database } from '../db/database.js';
import type { DataKeyRepo } from '../crypto/data-keys.repo.js';
import type { VaultKeyRepo } from '../crypto/vault-keys.repo.js';
import type { Store } from '../db/store.js';
import type { KeyService } from '../keys/keys.service.js';
import type { FleetService } from './fleets.service.js';

/**
 * What a purge guarantees. `cryptographic`: no copy of the fleet's wrapped data key left anywhere (dead
 * rows, WAL, replicas, backups) opens with the active master key, and every other master key is to be
 * destroyed. `erased-in-place` (SQLite only, when no fresh master key was configured): secure_delete and a
 * checkpoint leave nothing of the fleet in the live files, but copies made before (backups) still open.
 */
export type ShredGuarantee = 'cryptographic' | 'erased-in-place';

/** The `fleet delete --purge --json` answer (docs/operations.md, "Purging a fleet"). */
export interface PurgeReport {
  id: string;
  purged: true;
  last_seq: number | null;
  last_hash: string | null;
  shred: ShredGuarantee;
  active_master_key: string;
  /** The master keys that wrapped a key the purge re-wrapped under the active one. */
  master_key_rotated_from: string[];
  /** Every configured master key but the active one: nothing in the database needs them any more; destroy them. */
  retire_master_keys: string[];
  rewrapped_data_keys: number;
  rewrapped_vault_keys: number;
  /** SQLite only: the WAL was flushed into the database file and truncated. Absent on PostgreSQL, which has no such step. */
  wal_checkpointed?: boolean;
  /** What the purge does not reach and what the operator must still do. */
  notice: string;
}

const list = (ids: readonly string[]) => ids.map((id) => `"${id}"`).join(', ');

function noticeFor(engine: Database['engine'], shred: ShredGuarantee, retire: readonly string[], active: string): string {
  if (shred === 'erased-in-place') {
    return (
      `secure_delete zeroed the fleet's rows in the SQLite file and its WAL; copies made before the purge (backups, file ` +
      `snapshots) still hold its secrets, which open with master key "${active}". To shred those too, purge with a fresh ` +
      `master key first in the configuration (docs/operations.md).`
    );
  }
  const destroy =
    retire.length === 0
      ? 'No older master key is configured.'
      : `They open only with master key(s) ${list(retire)}: remove them from the master keys of every replica and of ` +
        `the fleetvault command, restart the replicas, and destroy every copy of them (key files, secret stores, their backups).`;
  return engine === 'postgres'
    ? `PostgreSQL does not overwrite deleted rows: dead row versions (until VACUUM reuses their space), the WAL, WAL ` +
        `archives, replicas and base backups still hold the fleet's ciphertext and wrapped data key. ${destroy}`
    : `secure_delete zeroed the fleet's rows in the SQLite file; backups made before the purge still hold them. ${destroy}`;
}

/**
 * `fleetvault fleet delete --purge`: destroys the fleet (fleets.service `delete`), then re-wraps every
 * remaining data key and vault key under the active master key (`keys rotate`), so the purged data key is
 * the only key left wrapped by the older master keys, which the report names for destruction. On
 * PostgreSQL the purge refuses unless the active master key never wrapped the fleet's data key, since
 * deleted rows survive there; on SQLite it then falls back to erasing in place.
 */
export function createFleetPurge(deps: {
  /** Reads only: the deletion is the fleet service's, the re-wrap the key service's. */
  store: Pick<
    Store<{ dataKeys: Pick<DataKeyRepo, 'ofFleet' | 'wrappedByOtherThan'>; vaultKeys: Pick<VaultKeyRepo, 'sealedByOtherThan'> }>,
    'repos'
  >;
  database: Pick<Database, 'engine' | 'checkpoint'>;
  keyring: Keyring;
  fleets: FleetService;
  keys: KeyService;
}) {
  const { store, database, keyring, fleets, keys } = deps;
  const active = keyring.activeMasterKeyId;
  return {
    async purge(context: FleetlessContext, fleetId: string): Promise<PurgeReport> {
      const wrappedBy = (await store.repos.dataKeys.ofFleet(fleetId)).map((row) => row.kek_id);
      const cryptographic = database.engine === 'postgres' || !wrappedBy.includes(active);
      const last = await fleets.delete(context, fleetId, { purge: true, requireFreshMasterKey: cryptographic });
      let rotatedFrom: string[] = [];
      let rewrapped = { dataKeys: 0, vaultKeys: 0 };
      if (cryptographic) {
        const stale = [
          ...(await store.repos.dataKeys.wrappedByOtherThan(active)),
          ...(await store.repos.vaultKeys.sealedByOtherThan(active)),
        ];
        rotatedFrom = [...new Set(stale.map((row) => row.kek_id))].sort();
        rewrapped = await keys.rotateMaster(context);
      }
      const retire = cryptographic ? keyring.masterKeyIds.filter((id) => id !== active) : [];
      const shred: ShredGuarantee = cryptographic ? 'cryptographic' : 'erased-in-place';
      return {
        id: fleetId,
        purged: true,
        last_seq: last?.lastSeq ?? null,
        last_hash: last?.lastHash ?? null,
        shred,
        active_master_key: active,
        master_key_rotated_from: rotatedFrom,
        retire_master_keys: retire,
        rewrapped_data_keys: rewrapped.dataKeys,
        rewrapped_vault_keys: rewrapped.vaultKeys,
        // After the re-wrap, so the checkpoint also flushes the pages the re-wrap changed.
        ...(database.engine === 'sqlite' && { wal_checkpointed: await database.checkpoint() }),
        notice: noticeFor(database.engine, shred, retire, active),
      };
    },
  };
}

export type FleetPurge = ReturnType<typeof createFleetPurge>;
