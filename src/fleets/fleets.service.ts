import { z } from 'zod';
import { GENESIS_HASH } from '../audit/audit-chain.js';
import type { AuditTrail, AuditOutbox } from '../audit/audit.service.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { FleetlessContext } from '../core/context.js';
import type { Keyring } from '../crypto/keyring.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import type { CredentialRepo } from '../credentials/credentials.repo.js';
import type { DataKeyRepo } from '../crypto/data-keys.repo.js';
import type { Store } from '../db/store.js';
import type { FleetOffboardingRepo } from './fleet-offboarding.repo.js';
import { AppError, notFound } from '../core/app-error.js';
import { parseOrThrow } from '../core/validation.js';
import type { FleetRepo, FleetRow } from './fleets.repo.js';

export const fleetNameSchema = z.string().trim().min(1).max(100);

export type Fleet = FleetRow;

const staleMasterKeyDetail = (fleetId: string, activeKeyId: string) =>
  `The data key of fleet ${fleetId} is wrapped by the active master key "${activeKeyId}", so copies of it that the ` +
  `database keeps after a purge (dead rows, the WAL, backups) would still open. Put a fresh master key first in the ` +
  `master keys of every replica and of this command (keep the older ones after it), restart the replicas, then purge ` +
  `again: the purge re-wraps every other key under it and names the master keys to destroy.`;

/** A fleet is born with its data key: both rows in one transaction, so no fleet lacks one. */
/** The repositories (and methods) the fleet service uses: its store and unit of work are typed over them. */
export interface FleetServiceRepos {
  fleets: FleetRepo;
  dataKeys: Pick<DataKeyRepo, 'insert'>;
  credentials: Pick<CredentialRepo, 'countOfFleet' | 'deleteOfFleet'>;
  fleetOffboarding: FleetOffboardingRepo;
  audit: AuditRepo;
  webhookDeliveries: AuditOutbox;
}

export function createFleetService(deps: {
  store: Store<FleetServiceRepos>;
  keyring: Keyring;
  clock: Clock;
  ids: IdGenerator;
  audit: AuditTrail;
}) {
  const { store, keyring, clock, ids, audit } = deps;
  return {
    async create(context: FleetlessContext, rawName: string): Promise<Fleet> {
      const name = parseOrThrow(fleetNameSchema, rawName, '/name');
      const fleet = { id: ids.next(), name, created_at: clock.now().toISOString() };
      const wrapped = keyring.newWrappedDataKey(fleet.id, fleet.created_at, ids.next());
      await store.transaction(async (repos) => {
        await repos.fleets.insert(fleet);
        await repos.dataKeys.insert(wrapped);
        // The system chain records fleets coming and going (docs/design.md §2.6).
        await audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'fleet.created',
          target: { type: 'fleet', id: fleet.id },
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          details: { name },
        });
      });
      return fleet;
    },

    /**
     * `fleetvault fleet delete` (docs/design.md §3). Without `purge`: refuses while the fleet holds
     * credentials or vehicles; its clients, data key and fleet row go, its audit chain stays. With
     * `purge`: first (one transaction) the `fleet.deleted` event holding the fleet chain's last seq and
     * hash, the fleet's clients and its data keys (crypto-shredding: nothing of it opens after this
     * commit); then every row of the fleet, its audit chain included. A purge stopped between the two
     * is finished by running it again (the fleet without a data key goes on to the second step).
     * `requireFreshMasterKey`: the purge refuses, changing nothing, when the active master key wraps
     * a data key of the fleet (docs/operations.md, "Purging a fleet"): copies of the wrapped key left
     * behind (dead rows, WAL, backups) must open only with master keys about to be destroyed.
     */
    async delete(
      context: FleetlessContext,
      fleetId: string,
      options: { purge: boolean; requireFreshMasterKey?: boolean },
    ): Promise<{ lastSeq: number; lastHash: string } | null> {
      // Children before parents (foreign keys): vehicles reference credentials; the rest references the fleet.
      const deleteFleetRows = async (repos: FleetServiceRepos, withHistory: boolean) => {
        await repos.fleetOffboarding.deleteVehicles(fleetId);
        await repos.credentials.deleteOfFleet(fleetId);
        await repos.fleetOffboarding.deleteRows(fleetId, { withHistory });
      };
      const recordDeletion = async (repos: FleetServiceRepos, purged: boolean) => {
        const head = await repos.audit.head(fleetId);
        const last = { lastSeq: head?.seq ?? 0, lastHash: head?.hash ?? GENESIS_HASH };
        await audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'fleet.deleted',
          target: { type: 'fleet', id: fleetId },
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          details: { purged, last_seq: last.lastSeq, last_hash: last.lastHash },
        });
        return last;
      };
      if (!options.purge) {
        return store.transaction(async (repos) => {
          await repos.fleets.lockForWrite(fleetId);
          if (!(await repos.fleets.exists(fleetId))) throw notFound('Fleet');
          const held = {
            credentials: await repos.credentials.countOfFleet(fleetId),
            vehicles: await repos.fleetOffboarding.countVehicles(fleetId),
          };
          if (held.credentials > 0 || held.vehicles > 0) {
            throw new AppError(
              'conflicting-resource',
              `Fleet ${fleetId} still holds ${held.credentials} credential(s) and ${held.vehicles} vehicle(s); delete them ` +
                `first, or purge the fleet (--purge).`,
              { credential_count: held.credentials, vehicle_count: held.vehicles },
            );
          }
          const last = await recordDeletion(repos, false);
          await deleteFleetRows(repos, false);
          return last;
        });
      }
      const last = await store.transaction(async (repos) => {
        await repos.fleets.lockForWrite(fleetId);
        if (!(await repos.fleets.exists(fleetId))) throw notFound('Fleet');
        await repos.fleetOffboarding.deleteClients(fleetId);
        const wrappedBy = await repos.fleetOffboarding.destroyDataKeys(fleetId);
        // No data key left: an earlier purge destroyed it (and recorded the event) and stopped before the rows.
        if (wrappedBy.length === 0) return null;
        // Checked on the deleted rows themselves, so a `keys rotate` racing the purge cannot slip past it.
        if (options.requireFreshMasterKey === true && wrappedBy.includes(keyring.activeMasterKeyId)) {
          throw new AppError('conflicting-resource', staleMasterKeyDetail(fleetId, keyring.activeMasterKeyId), {
            active_master_key: keyring.activeMasterKeyId,
          });
        }
        return recordDeletion(repos, true);
      });
      await store.transaction((repos) => deleteFleetRows(repos, true));
      return last;
    },

    isEmpty: (): Promise<boolean> => store.repos.fleets.isEmpty(),
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
