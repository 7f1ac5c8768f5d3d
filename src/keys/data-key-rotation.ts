import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { FleetlessContext } from '../core/context.js';
import type { SealedSecrets } from '../credentials/sealed-secrets.js';
import type { Keyring } from '../crypto/keyring.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { CredentialRepo } from '../credentials/credentials.repo.js';
import type { DataKeyRepo } from '../crypto/data-keys.repo.js';
import type { Store } from '../db/store.js';
import type { FleetRepo } from '../fleets/fleets.repo.js';
import { notFound } from '../core/app-error.js';
import type { WebhookSecretResealRepo } from '../webhooks/webhook-secret-reseal.repo.js';

/** Rows re-sealed per transaction: small enough that a SQLite writer waits milliseconds, big enough to amortise the commit. */
export const REKEY_BATCH_ROWS = 500;

export interface RekeyProgress {
  fleet_id: string;
  data_key_id: string;
  /** Sealed values moved to the new key by this run so far. */
  resealed: number;
  /** Sealed values that were under an old key when this run started. */
  total: number;
}

export interface RekeyResult extends RekeyProgress {
  destroyed_data_key_ids: string[];
  /** True when this run continued an interrupted rotation (its new key already existed). */
  resumed: boolean;
}

/**
 * `fleetvault keys rotate-data-key` (docs/design.md §3; docs/data-key-rotation.md): gives the fleet a new
 * data key, re-seals every current and kept secret under it in batches while the server serves, then
 * destroys the old key with a `keys.data_key_rotated` event in one transaction. The state lives in the
 * rows (each names its key), so a run killed anywhere is finished by running it again: a fleet with
 * more than one key is mid-rotation, its newest key the target; rows already under it are not touched.
 */
/** The repositories (and methods) a data-key rotation uses: its store and unit of work are typed over them. */
export interface DataKeyRotationRepos {
  dataKeys: Pick<DataKeyRepo, 'ofFleet' | 'insert' | 'destroy' | 'all'>;
  /** Only to count what is left under the old keys: the re-seal itself is the credentials' writer's. */
  credentials: Pick<CredentialRepo, 'sealed'>;
  fleets: Pick<FleetRepo, 'lockForWrite'>;
  /** Webhook signing secrets are sealed under the same data key (docs/webhooks.md): moved too, or they would not open. */
  webhookSecretReseal: WebhookSecretResealRepo;
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
}

export function createDataKeyRotation(deps: {
  store: Store<DataKeyRotationRepos>;
  keyring: Keyring;
  /** The credentials' one writer of sealed secrets: the re-seal goes through it. */
  secrets: SealedSecrets;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
  batchRows?: number;
}) {
  const { store, keyring, secrets, clock, ids, audit } = deps;
  const batchRows = deps.batchRows ?? REKEY_BATCH_ROWS;

  /** Sealed values of the fleet still under one of `old`: credential secrets and webhook signing secrets. */
  const countUnder = async (repos: DataKeyRotationRepos, fleetId: string, old: string[]) =>
    (await repos.credentials.sealed.countUnder(fleetId, old)) + (await repos.webhookSecretReseal.countUnder(fleetId, old));

  /** One batch of webhook signing secrets moved to `target` (sealed outside the transaction). */
  async function resealWebhookSecrets(fleetId: string, target: string, old: string[]): Promise<{ read: number; moved: number }> {
    const rows = await store.repos.webhookSecretReseal.under(fleetId, old, batchRows);
    if (rows.length === 0) return { read: 0, moved: 0 };
    const done = await Promise.all(
      rows.map(async (row) => ({
        row,
        to: {
          data_key_id: target,
          sealed_secret: await keyring.resealWebhookSecret(
            fleetId,
            row.webhook_id,
            row.version,
            row.sealed_secret,
            row.data_key_id,
            target,
          ),
        },
      })),
    );
    const moved = await store.transaction(
      async (repos) => {
        let n = 0;
        for (const { row, to } of done) if (await repos.webhookSecretReseal.reseal(fleetId, row, to)) n++;
        return n;
      },
      { fleetId },
    );
    return { read: rows.length, moved };
  }

  async function rotateFleet(
    context: FleetlessContext,
    fleetId: string,
    onProgress: (progress: RekeyProgress) => void,
  ): Promise<RekeyResult> {
    let keys = await store.repos.dataKeys.ofFleet(fleetId);
    if (keys.length === 0) throw notFound('Fleet');
    const resumed = keys.length > 1;
    if (!resumed) {
      const row = keyring.newWrappedDataKey(fleetId, clock.now().toISOString(), ids.next());
      // A unit of the fleet, so under its lock (PostgreSQL): a batch of the fleet that read the active key keeps
      // sealing under it to its COMMIT, and the next batch reads this one (data-keys.repo.ts, `active`).
      await store.transaction((repos) => repos.dataKeys.insert(row), { fleetId });
      keys = await store.repos.dataKeys.ofFleet(fleetId);
    }
    const target = keys[0]!.id;
    const old = keys.slice(1).map((k) => k.id);
    const progress: RekeyProgress = {
      fleet_id: fleetId,
      data_key_id: target,
      resealed: 0,
      total: await countUnder(store.repos, fleetId, old),
    };
    onProgress({ ...progress });
    for (;;) {
      const secretBatch = await secrets.resealBatch(fleetId, target, old, batchRows);
      const batch = secretBatch.read > 0 ? secretBatch : await resealWebhookSecrets(fleetId, target, old);
      progress.resealed += batch.moved;
      // A row written meanwhile under an old key (a replica that read the old key just before) adds to the work.
      progress.total = Math.max(progress.total, progress.resealed);
      if (batch.read > 0) {
        onProgress({ ...progress });
        continue;
      }
      // Nothing left under the old keys: destroy them, re-checked under the fleet's write lock so a write
      // that raced the last batch is not left behind (and a later one fails on the foreign key instead).
      const destroyed = await store.transaction(async (repos) => {
        await repos.fleets.lockForWrite(fleetId);
        if ((await countUnder(repos, fleetId, old)) > 0) return undefined;
        for (const id of old) await repos.dataKeys.destroy(fleetId, id);
        await audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'keys.data_key_rotated',
          target: { type: 'key', id: target },
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          details: { fleet_id: fleetId, data_key_id: target, rows_resealed: progress.resealed, destroyed_data_key_ids: old, resumed },
        });
        return old;
      });
      if (destroyed === undefined) continue;
      for (const id of destroyed) keyring.forgetDataKey(id);
      return { ...progress, destroyed_data_key_ids: destroyed, resumed };
    }
  }

  return {
    rotateFleet,

    /** Every fleet's data key, one fleet after the other. */
    async rotateAll(context: FleetlessContext, onProgress: (progress: RekeyProgress) => void): Promise<RekeyResult[]> {
      const fleetIds = [...new Set((await store.repos.dataKeys.all()).map((k) => k.fleet_id))].sort();
      const results: RekeyResult[] = [];
      for (const fleetId of fleetIds) results.push(await rotateFleet(context, fleetId, onProgress));
      return results;
    },
  };
}

export type DataKeyRotation = ReturnType<typeof createDataKeyRotation>;
