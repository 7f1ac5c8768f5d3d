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
import { createPeopleRepo } from './people/people.repo.js';
import { createSignInRuleRepo } from './people/sign-in-rules.repo.js';
import { createSignInFlowRepo } from './sign-in/sign-in-flows.repo.js';
import { createVehicleRepo } from './vehicles/vehicles.repo.js';
import { createWebhookDeliveryRepo } from './webhooks/webhook-deliveries.repo.js';
import { createWebhookSecretResealRepo } from './webhooks/webhook-secret-reseal.repo.js';
import { createWebhookRepo } from './webhooks/webhooks.repo.js';

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
  signInRules: createSignInRuleRepo,
  people: createPeopleRepo,
  signInFlows: createSignInFlowRepo,
  webhooks: createWebhookRepo,
  webhookDeliveries: createWebhookDeliveryRepo,
  webhookSecretReseal: createWebhookSecretResealRepo,
} satisfies Record<string, RepoFactory>;

export type Repos = ReposOf<typeof repoFactories>;

/** A unit's repositories with the audit chains its appends name noted in `appended`. */
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

export interface RepoStoreOptions {
  /**
   * Called once a unit of work that appended audit events has committed, with the chains it appended to (fleet
   * ids, or 'system'): the watch stream's readers wake on it instead of waiting for their next poll
   * (docs/design.md §2.13). Never called for a unit that rolled back.
   */
  afterAuditCommit?: (chains: ReadonlySet<string>) => void;
}

/** The store over every repository: the one the app, the CLI and the tests use. */
export function createRepoStore(database: Database, options: RepoStoreOptions = {}): Store<Repos> {
  const { afterAuditCommit } = options;
  return createStore(database, repoFactories, afterAuditCommit && { observe: notingAppends, committed: afterAuditCommit });
}
