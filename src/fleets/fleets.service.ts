import { z } from 'zod';
import type { Clock, IdGenerator } from '../core/clock.js';
import type { FleetlessContext } from '../core/context.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Store } from '../db/store.js';
import { parseOrThrow } from '../http/validation.js';
import type { FleetRow } from './fleets.repo.js';

export const fleetNameSchema = z.string().trim().min(1).max(100);

export type Fleet = FleetRow;

/** A fleet is born with its data key: both rows in one transaction, so no fleet lacks one. */
export function createFleetService(deps: { store: Store; keyring: Keyring; clock: Clock; ids: IdGenerator }) {
  const { store, keyring, clock, ids } = deps;
  return {
    async create(_context: FleetlessContext, rawName: string): Promise<Fleet> {
      const name = parseOrThrow(fleetNameSchema, rawName, '/name');
      const fleet = { id: ids.next(), name, created_at: clock.now().toISOString() };
      const wrapped = keyring.newWrappedDataKey(fleet.id, fleet.created_at);
      await store.transaction(async (repos) => {
        await repos.fleets.insert(fleet);
        await repos.dataKeys.insert(wrapped);
      });
      return fleet;
    },

    exists: (id: string): Promise<boolean> => store.repos.fleets.exists(id),

    isEmpty: (): Promise<boolean> => store.repos.fleets.isEmpty(),
  };
}

export type FleetService = ReturnType<typeof createFleetService>;
