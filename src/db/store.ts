import type { Kysely } from 'kysely';
import { createAuditRepo } from '../audit/audit.repo.js';
import { createClientRepo } from '../clients/clients.repo.js';
import { createCredentialRepo } from '../credentials/credentials.repo.js';
import { createIdempotencyRepo } from '../credentials/idempotency.repo.js';
import { createSecretVersionRepo } from '../credentials/secret-versions.repo.js';
import { createDataKeyRepo } from '../crypto/data-keys.repo.js';
import { createVaultKeyRepo } from '../crypto/vault-keys.repo.js';
import { createFleetOffboardingRepo } from '../fleets/fleet-offboarding.repo.js';
import { createFleetRepo } from '../fleets/fleets.repo.js';
import { createDataKeyRotationRepo } from '../keys/data-key-rotation.repo.js';
import { createPeopleRepo } from '../people/people.repo.js';
import { createSignInRuleRepo } from '../people/sign-in-rules.repo.js';
import { createJtiRepo } from '../tokens/jtis.repo.js';
import { createVehicleRepo } from '../vehicles/vehicles.repo.js';
import { createWebhookDeliveryRepo } from '../webhooks/webhook-deliveries.repo.js';
import { createWebhookRepo } from '../webhooks/webhooks.repo.js';
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
  secretVersions: createSecretVersionRepo,
  fleetOffboarding: createFleetOffboardingRepo,
  dataKeyRotation: createDataKeyRotationRepo,
  signInRules: createSignInRuleRepo,
  people: createPeopleRepo,
  webhooks: createWebhookRepo,
  webhookDeliveries: createWebhookDeliveryRepo,
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

export interface StoreOptions {
  /**
   * Called once a unit of work that appended audit events has committed, with the chains it appended to (fleet
   * ids, or 'system'): the watch stream's readers wake on it instead of waiting for their next poll
   * (docs/design.md §2.13). Never called for a unit that rolled back.
   */
  afterAuditCommit?: (chains: ReadonlySet<string>) => void;
}

/** The repositories of one unit of work, with the chains its audit appends name noted in `appended`. */
function notingAppends(repos: Repos, appended: Set<string>): Repos {
  const { audit } = repos;
  return {
    ...repos,
    audit: {
      ...audit,
      insert: (chain, event) => {
        appended.add(chain);
        return audit.insert(chain, event);
      },
    },
  };
}

/** The unit of work over an open database; the only place repositories are bound to an executor. */
export function createStore(database: Database, options: StoreOptions = {}): Store {
  const { afterAuditCommit } = options;
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
    transaction: async (fn) => {
      if (afterAuditCommit === undefined) return database.transaction((trx) => fn(reposFor(trx)));
      const appended = new Set<string>();
      const result = await database.transaction((trx) => fn(notingAppends(reposFor(trx), appended)));
      // Resolved: committed and durable, so a reader woken now sees the events.
      if (appended.size > 0) afterAuditCommit(appended);
      return result;
    },
  };
}
