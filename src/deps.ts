import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { type AuditTrail, createAuditTrail } from './audit/audit.service.js';
import { createClientService } from './clients/clients.service.js';
import type { Config } from './config.js';
import { type Clock, type IdGenerator, systemClock, ulidGenerator } from './core/clock.js';
import { createCredentialChanges } from './credentials/credential-changes.js';
import { countCredentialChanges } from './credentials/credentials.metrics.js';
import { createCredentialSecretService } from './credentials/credential-secrets.service.js';
import { createCredentialService } from './credentials/credentials.service.js';
import { createSealedSecrets } from './credentials/sealed-secrets.js';
import { randomKey, sodiumReady } from './crypto/aead.js';
import { createKeyring, DATA_KEY_RECHECK_MS, type Keyring } from './crypto/keyring.js';
import { loadConfiguredMasterKeys } from './crypto/master-key-config.js';
import type { MasterKey } from './crypto/master-keys.js';
import { loadOrCreateVaultKey } from './crypto/vault-keys.js';
import { type Database, openDatabase, type OpenDatabaseOptions } from './db/database.js';
import { migrate } from './db/migrate.js';
import { startIdempotencyPruning } from './credentials/idempotency-pruning.js';
import { createWatch } from './events/watch-setup.js';
import type { WatchService } from './events/watch.service.js';
import type { Store } from './db/store.js';
import { createRepoStore, type Repos } from './repos.js';
import { createBrandExchange, type ExchangeOptions } from './exchange/create-exchange.js';
import { forgetTokensOnChange } from './exchange/forget-on-change.js';
import { createFleetPurge } from './fleets/fleet-purge.js';
import { createFleetService } from './fleets/fleets.service.js';
import { createDataKeyRotation } from './keys/data-key-rotation.js';
import { createKeyService } from './keys/keys.service.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import { createAssertionVerifier } from './tokens/assertion.js';
import { generateSigningKey } from './tokens/signing-key.js';
import { createSigningKeys, SIGNING_KEY_REFRESH_SECONDS, type SigningKeys } from './tokens/signing-keys.js';
import { countTokens } from './tokens/token.metrics.js';
import { createTokenService } from './tokens/token.service.js';
import { createPersonSignIn } from './people/person-sign-in.service.js';
import { createSignInRuleService } from './people/sign-in-rules.service.js';
import { tokenRefusal } from './people/token-refusal.js';
import { createSignInFlows, type SignInFlows } from './sign-in/create-sign-in-flows.js';
import { createVehicleService } from './vehicles/vehicles.service.js';
import { systemResolve, type ResolveHost } from './webhooks/webhook-url.js';
import { createWebhookService } from './webhooks/webhooks.service.js';
import { createWebhookDeliveryService } from './webhooks/webhook-deliveries.service.js';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

/** Everything `buildApp` needs, built once per process (or per test). The one place a dependency is wired. */
export interface Deps {
  config: Config;
  database: Database;
  store: Store<Repos>;
  clock: Clock;
  ids: IdGenerator;
  /** Request ids (X-Request-Id when the caller sends none): on the system clock, whatever clock the tests inject. */
  requestIds: IdGenerator;
  /** The token-signing keys: the one that signs, the ones that verify and the JWKS (re-read every few seconds). */
  signingKeys: SigningKeys;
  keyring: Keyring;
  /** The app's Prometheus registry; domain counters are registered on it below. */
  metrics: Metrics;
  /** Verifies an access token's signature and claims; throws when it does not verify. */
  verifyAccessToken: (token: string) => Record<string, unknown>;
  /** Why a verified token is refused all the same (revocation: a deleted client or sign-in rule, a rotated secret). */
  tokenRefusal: ReturnType<typeof tokenRefusal>;
  services: {
    audit: AuditTrail;
    fleets: ReturnType<typeof createFleetService>;
    /** `fleet delete --purge`: the fleet's deletion, then the master-key rotation that makes it a cryptographic shred. */
    fleetPurge: ReturnType<typeof createFleetPurge>;
    clients: ReturnType<typeof createClientService>;
    credentials: ReturnType<typeof createCredentialService>;
    credentialSecrets: ReturnType<typeof createCredentialSecretService>;
    vehicles: ReturnType<typeof createVehicleService>;
    tokens: ReturnType<typeof createTokenService>;
    exchange: ReturnType<typeof createBrandExchange>;
    keys: ReturnType<typeof createKeyService>;
    dataKeyRotation: ReturnType<typeof createDataKeyRotation>;
    /** The watch stream `GET /events` (docs/design.md §2.13). */
    watch: WatchService;
    signInRules: ReturnType<typeof createSignInRuleService>;
    personSignIn: ReturnType<typeof createPersonSignIn>;
    /** Signing in at the identity provider (docs/sign-in.md); undefined when FLEETVAULT_OIDC_ISSUER is unset. */
    signIn: SignInFlows | undefined;
    webhooks: ReturnType<typeof createWebhookService>;
    webhookDeliveries: ReturnType<typeof createWebhookDeliveryService>;
  };
  /** Sends the webhook outbox; server.ts starts it (tests drive it with `tick`). docs/webhooks.md. */
  webhookDispatcher: WebhookDispatcher;
  /** The data-key rotation with other settings (the CLI's --batch-rows). */
  dataKeyRotationWith(options: { batchRows: number }): ReturnType<typeof createDataKeyRotation>;
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  clock?: Clock;
  ids?: IdGenerator;
  /** File master keys given directly (tests); otherwise loaded from the config's sources (the token's keys always are). */
  masterKeys?: MasterKey[];
  logger?: Pick<Logger, 'warn' | 'info'> | undefined;
  database?: OpenDatabaseOptions;
  /** Brand exchange: fetch, sleep, jitter and the audit event writer, swapped in tests. */
  exchange?: ExchangeOptions;
  /** How often destroyed data keys are dropped from memory (default DATA_KEY_RECHECK_MS; shorter in tests). */
  dataKeyRecheckMs?: number;
  /** How webhook hosts resolve (tests: a name that resolves to a private address). */
  resolveHost?: ResolveHost;
}

/**
 * Opens the database, applies migrations, proves the master keys open the stored keys,
 * and wires the services. Fails (and closes the database) on any start-up problem.
 */
export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? ulidGenerator(clock);
  await sodiumReady();
  // The file keys and, with FLEETVAULT_PKCS11_MODULE, the token's: a wrong PIN or a missing key stops here (docs/hsm.md).
  const masterKeys = loadConfiguredMasterKeys(config, options.masterKeys);
  if (masterKeys.createdDevelopmentKeyFile) {
    options.logger?.warn(
      { file: masterKeys.createdDevelopmentKeyFile },
      'created a development master key: losing this file loses every secret; set FLEETVAULT_MASTER_KEYS or ' +
        'FLEETVAULT_MASTER_KEY_FILE in production',
    );
  }
  let database: Database;
  try {
    // The unit-of-work guard is for code mistakes, caught by the tests; production saves its cost (group-commit.ts).
    database = openDatabase(config.databaseUrl, { guardUnits: config.nodeEnv !== 'production', ...options.database });
  } catch (error) {
    masterKeys.close();
    throw error;
  }
  let pruneTimer: NodeJS.Timeout | undefined;
  let signingKeysTimer: NodeJS.Timeout | undefined;
  let dataKeysTimer: NodeJS.Timeout | undefined;
  try {
    // The watch stream's readers wake when this process commits an event of their fleet (bound below, once they exist).
    let wakeWatchers = (_chains: ReadonlySet<string>): void => {};
    const store = createRepoStore(database, { afterAuditCommit: (chains) => wakeWatchers(chains) });
    const keyring = createKeyring({ masterKeys: masterKeys.keys, repos: store.repos });
    const keyDeps = { vaultKeys: store.repos.vaultKeys, keyring, clock, ids };
    const { secretHashKey, auditKey } = await database.withStartupLock(async () => {
      await migrate(database);
      await keyring.verifyMasterKeys();
      await loadOrCreateVaultKey(keyDeps, 'token-signing', generateSigningKey);
      return {
        secretHashKey: (await loadOrCreateVaultKey(keyDeps, 'client-secret-hash', () => ({ material: randomKey() }))).material,
        // The audit chains' HMAC key (docs/design.md §2.6): sealed by the master key, so database access alone cannot re-forge a chain.
        auditKey: (await loadOrCreateVaultKey(keyDeps, 'audit-hmac', () => ({ material: randomKey() }))).material,
      };
    });
    const signingKeys = createSigningKeys({ vaultKeys: store.repos.vaultKeys, keyring, clock, issuer: config.publicUrl });
    await signingKeys.refresh();
    const onSigningKeysError = (error: unknown) =>
      options.logger?.warn({ reason: (error as Error).message }, 're-reading the signing keys failed; keeping the ones loaded');
    // Every replica picks up a rotated signing key within two intervals (docs/design.md §3: 30 s).
    signingKeysTimer = setInterval(() => signingKeys.refresh().catch(onSigningKeysError), SIGNING_KEY_REFRESH_SECONDS * 1000);
    signingKeysTimer.unref();
    // A data key destroyed by the CLI or another replica leaves this process's memory within one interval.
    dataKeysTimer = setInterval(() => {
      keyring.evictDestroyed().catch((error: unknown) => {
        options.logger?.warn({ reason: (error as Error).message }, 're-checking the cached data keys failed; retried at the next tick');
      });
    }, options.dataKeyRecheckMs ?? DATA_KEY_RECHECK_MS);
    dataKeysTimer.unref();
    const metrics = createMetrics();
    const audit = createAuditTrail({ key: auditKey, clock, ids, repos: store.repos });
    const clients = createClientService({ store, clock, ids, secretHashKey, audit });
    // Announced by every path that changes a credential's secrets; the cache and the counters subscribe below.
    const credentialChanges = createCredentialChanges();
    const secrets = createSealedSecrets({
      store,
      keyring,
      clock,
      audit,
      secretVersionsKept: config.secretVersionsKept,
      changes: credentialChanges,
    });
    const credentials = createCredentialService({
      store,
      changes: credentialChanges,
      secrets,
      clock,
      ids,
      audit,
      // Domain-separated from client-secret hashes, which use the same vault key.
      fingerprint: (text) => createHmac('sha256', secretHashKey).update('fleetvault:idempotency:v1\n').update(text).digest('base64url'),
    });
    const signAccessToken = (claims: Record<string, unknown>) => {
      signingKeys.refreshIfDue(onSigningKeysError);
      return signingKeys.sign(claims);
    };
    const signInRules = createSignInRuleService({ store, audit, clock, ids });
    const personTokens = { sign: signAccessToken, issuer: config.publicUrl, ttlSeconds: config.personTokenTtlSeconds };
    const personSignIn = createPersonSignIn({ store, audit, clock, ids, rules: signInRules, ...personTokens });
    const signIn = createSignInFlows({ settings: config.oidc, publicUrl: config.publicUrl, store, people: personSignIn, clock, metrics });
    const tokens = createTokenService({
      clients,
      store,
      audit,
      clock,
      ids,
      sign: signAccessToken,
      issuer: config.publicUrl,
      tokenTtlSeconds: config.tokenTtlSeconds,
      verifyAssertion: createAssertionVerifier({
        clock,
        jtis: store.repos.jtis,
        findIssuer: clients.findIssuer,
        // RFC 7523 §3 item 3: the public URL, HM's /v1 base, or either token endpoint.
        audiences: [config.publicUrl, `${config.publicUrl}/v1`, `${config.publicUrl}/v1/auth_tokens`, `${config.publicUrl}/oauth/token`],
        maxSkewSeconds: config.assertionMaxSkewSeconds,
      }),
      ...(signIn && { personGrants: signIn.grants }),
    });

    const exchange = createBrandExchange({
      config,
      clock,
      store,
      audit,
      credentials,
      options: options.exchange,
      logger: options.logger,
    });
    exchange.metrics.registerOn(metrics.registry);
    forgetTokensOnChange(credentialChanges, exchange);
    countCredentialChanges(credentialChanges, metrics.registry);

    pruneTimer = await startIdempotencyPruning(credentials, options.logger);

    const { watch, wake } = createWatch({
      audit: store.repos.audit,
      settings: config.events,
      registry: metrics.registry,
      logger: options.logger,
    });
    wakeWatchers = wake;

    const fleets = createFleetService({ store, keyring, clock, ids, audit });
    const urlRules = { allowHosts: config.webhooks.allowHosts, resolve: options.resolveHost ?? systemResolve };
    const webhookDispatcher = createWebhookDispatcher({
      ...{ store, keyring, clock, urlRules, registry: metrics.registry, logger: options.logger },
      settings: config.webhooks,
    });
    const keys = createKeyService({ store, keyring, clock, ids, audit });
    return {
      config,
      database,
      store,
      clock,
      ids,
      // ulid()'s default source draws random bytes one character at a time (~200 µs per id, half a GET's
      // CPU in the benchmark); the pooled monotonic generator draws once per millisecond (~1 µs).
      requestIds: ulidGenerator(),
      signingKeys,
      keyring,
      metrics,
      verifyAccessToken: (token) => signingKeys.verify(token),
      tokenRefusal: tokenRefusal({ clients, rules: signInRules }),
      services: {
        audit,
        fleets,
        fleetPurge: createFleetPurge({ store, database, keyring, fleets, keys }),
        clients,
        credentials,
        credentialSecrets: createCredentialSecretService({ store, audit, secrets }),
        vehicles: createVehicleService({ store, clock, ids, audit }),
        tokens: countTokens(tokens, metrics.registry),
        exchange,
        keys,
        dataKeyRotation: createDataKeyRotation({ store, keyring, secrets, clock, ids, audit }),
        watch,
        signInRules,
        personSignIn,
        signIn,
        webhooks: createWebhookService({ store, keyring, clock, ids, audit, urlRules }),
        webhookDeliveries: createWebhookDeliveryService({ store, clock }),
      },
      webhookDispatcher,
      dataKeyRotationWith: ({ batchRows }) => createDataKeyRotation({ store, keyring, secrets, clock, ids, audit, batchRows }),
      close: async () => {
        watch.closeAll();
        await webhookDispatcher.stop();
        clearInterval(pruneTimer);
        clearInterval(signingKeysTimer);
        clearInterval(dataKeysTimer);
        await database.close();
        masterKeys.close();
      },
    };
  } catch (error) {
    clearInterval(pruneTimer);
    clearInterval(signingKeysTimer);
    clearInterval(dataKeysTimer);
    await database.close();
    masterKeys.close();
    throw error;
  }
}
