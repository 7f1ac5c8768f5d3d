import { z } from 'zod';
import type { AuditTrail } from '../audit/audit.service.js';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { FleetlessContext } from '../core/context.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Store } from '../db/store.js';
import { parseOrThrow } from '../http/validation.js';
import type { FleetRow } from './fleets.repo.js';

export const fleetNameSchema = z.string().trim().min(1).max(100);

export type Fleet = FleetRow;

/** A fleet is born with its data key: both rows in one transaction, so no fleet lacks one. */
export function createFleetService(deps: { store: Store; keyring: Keyring; clock: Clock; ids: IdGenerator; audit: AuditTrail }) {
  const { store, keyring, clock, ids, audit } = deps;
  return {
    async create(context: FleetlessContext, rawName: string): Promise<Fleet> {
      const name = parseOrThrow(fleetNameSchema, rawName, '/name');
      const fleet = { id: ids.next(), name, created_at: clock.now().toISOString() };
      const wrapped = keyring.newWrappedDataKey(fleet.id, fleet.created_at);
      await store.transaction(async (repos) => {
        await repos.fleets.insert(fleet);
        await repos.dataKeys.insert(wrapped);
        // The system chain records fleets coming and going (DESIGN.md §2.6).
        await audit.append(repos, {
          fleetId: null,
          actor: context.actor,
          action: 'fleet.created',
          target: { type: 'fleet', id: fleet.id },
          requestId: context.requestId,
          details: { name },
        });
      });
      return fleet;
    },

    exists: (id: string): Promise<boolean> => store.repos.fleets.exists(id),

    isEmpty: (): Promise<boolean> => store.repos.fleets.isEmpty(),
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
