import type { Kysely } from 'kysely';
import { createAuditRepo } from '../audit/audit.repo.js';
import { createClientRepo } from '../clients/clients.repo.js';
import { createCredentialRepo } from '../credentials/credentials.repo.js';
import { createIdempotencyRepo } from '../credentials/idempotency.repo.js';
import { createDataKeyRepo } from '../crypto/data-keys.repo.js';
import { createVaultKeyRepo } from '../crypto/vault-keys.repo.js';
import { createFleetOffboardingRepo } from '../fleets/fleet-offboarding.repo.js';
import { createFleetRepo } from '../fleets/fleets.repo.js';
import { createJtiRepo } from '../tokens/jtis.repo.js';
import { createVehicleRepo } from '../vehicles/vehicles.repo.js';
import type { Database, Engine } from './database.js';
import type { DB } from './schema.js';

/**
 * Every repository, by name. Adding one is one line here: `Repos` and both the shared and the
 * transaction-bound sets follow from this list. A factory takes the executor (the pool, or an
 * open transaction) and the engine, for the rare statement that differs between engines.
 */
const repoFactories = {
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
} satisfies Record<string, (db: Kysely<DB>, engine: Engine) => object>;

export type Repos = { readonly [K in keyof typeof repoFactories]: ReturnType<(typeof repoFactories)[K]> };

export interface Store {
  /** Repositories on the shared connection/pool: reads and single-statement writes. */
  readonly repos: Repos;
  /**
   * Runs fn in ONE unit of work with every repository bound to it: a change, its idempotency record and
   * its audit event commit together or not at all, and the promise resolves only once they are durable.
   * On SQLite the unit is a savepoint in a group commit (`group-commit.ts`): it must not read through
   * `store.repos` (the one connection is busy with the batch) nor start another transaction. Seal and hash before
   * calling (better-sqlite3 is synchronous: a long transaction stalls every request).
   */
  transaction<T>(fn: (repos: Repos) => Promise<T>): Promise<T>;
}

function reposOn(db: Kysely<DB>, engine: Engine): Repos {
  return Object.fromEntries(Object.entries(repoFactories).map(([name, create]) => [name, create(db, engine)])) as unknown as Repos;
}

/** The unit of work over an open database; the only place repositories are bound to an executor. */
export function createStore(database: Database): Store {
  const { db, engine } = database;
  // On SQLite the units of one group commit share an executor: bind the repositories once per batch.
  const boundRepos = new WeakMap<Kysely<DB>, Repos>();
  const reposFor = (executor: Kysely<DB>) => {
    let repos = boundRepos.get(executor);
    if (repos === undefined) boundRepos.set(executor, (repos = reposOn(executor, engine)));
    return repos;
  };
  return {
    repos: reposOn(db, engine),
    transaction: (fn) => database.transaction((trx) => fn(reposFor(trx))),
  };
}
