import { createAuditRepo } from './audit/audit.repo.js';
import { createClientRepo } from './clients/clients.repo.js';
import { createCredentialRepo } from './credentials/credentials.repo.js';
import { createIdempotencyRepo } from './credentials/idempotency.repo.js';
import { createDataKeyRepo } from './crypto/data-keys.repo.js';
import { createVaultKeyRepo } from './crypto/vault-keys.repo.js';
import type { Database } from './db/database.js';
import { createStore, type ReposOf, type RepoFactory, type Store } from './db/store.js';
import { createFleetOffboardingRepo } from './fleets/fleet-offboarding.repo.js';
import { createFleetRepo } from './fleets/fleets.repo.js';
import { createJtiRepo } from './tokens/jtis.repo.js';
import { createVehicleRepo } from './vehicles/vehicles.repo.js';

/**
 * Every repository, by name: part of the wiring (src/deps.ts builds the store from it). Adding one is one line
 * here; a service that uses it then names it in the repositories its `Store<…>` declares. Domain code never
 * imports this list (each service declares what it uses), so no domain depends on every other.
 */
export const repoFactories = {
  fleets: createFleetRepo,
  clients: createClientRepo,
  credentials: createCredentialRepo,
  vehicles: createVehicleRepo,
  idempotency: createIdempotencyRepo,
  vaultKeys: createVaultKeyRepo,
  dataKeys: createDataKeyRepo,
  jtis: createJtiRepo,
  audit: createAuditRepo,
  fleetOffboarding: createFleetOffboardingRepo,
} satisfies Record<string, RepoFactory>;

export type Repos = ReposOf<typeof repoFactories>;

/** The store over every repository: the one the app, the CLI and the tests use. */
export const createRepoStore = (database: Database): Store<Repos> => createStore(database, repoFactories);
