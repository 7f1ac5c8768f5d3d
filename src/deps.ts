import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import { createClientService } from './clients/clients.service.js';
import type { Config } from './config.js';
import { createCredentialService } from './credentials/credentials.service.js';
import { randomKey, sodiumReady } from './crypto/aead.js';
import { createKeyring, type Keyring } from './crypto/keyring.js';
import { loadMasterKeys, type MasterKey } from './crypto/master-keys.js';
import { loadOrCreateVaultKey } from './crypto/vault-keys.js';
import { type Database, openDatabase, type OpenDatabaseOptions } from './db/database.js';
import { migrate } from './db/migrate.js';
import { createBrandExchange, type ExchangeOptions } from './exchange/create-exchange.js';
import { createFleetService } from './fleets/fleets.service.js';
import { type Clock, type IdGenerator, systemClock, ulidGenerator } from './http/clock.js';
import { generateSigningKey, type SigningKey, signingKeyFrom } from './tokens/signing-key.js';
import { createVehicleService } from './vehicles/vehicles.service.js';

/** Everything `buildApp` needs, built once per process (or per test). */
export interface Deps {
  config: Config;
  database: Database;
  clock: Clock;
  ids: IdGenerator;
  signingKey: SigningKey;
  keyring: Keyring;
  services: {
    fleets: ReturnType<typeof createFleetService>;
    clients: ReturnType<typeof createClientService>;
    credentials: ReturnType<typeof createCredentialService>;
    vehicles: ReturnType<typeof createVehicleService>;
    exchange: ReturnType<typeof createBrandExchange>;
  };
  close(): Promise<void>;
}

export interface CreateDepsOptions {
  clock?: Clock;
  ids?: IdGenerator;
  /** Master keys given directly (tests); otherwise loaded from the config's sources. */
  masterKeys?: MasterKey[];
  logger?: Pick<Logger, 'warn' | 'info'>;
  database?: OpenDatabaseOptions;
  /** Brand exchange: fetch, sleep, jitter and the audit recorder, swapped in tests. */
  exchange?: ExchangeOptions;
}

/**
 * Opens the database, applies migrations, proves the master keys open the stored keys,
 * and wires the services. Fails (and closes the database) on any start-up problem.
 */
export async function createDeps(config: Config, options: CreateDepsOptions = {}): Promise<Deps> {
  const clock = options.clock ?? systemClock;
  const ids = options.ids ?? ulidGenerator(clock);
  await sodiumReady();
  let masterKeys = options.masterKeys;
  if (masterKeys === undefined) {
    const loaded = loadMasterKeys(config);
    masterKeys = loaded.keys;
    if (loaded.createdDevelopmentKeyFile) {
      options.logger?.warn(
        { file: loaded.createdDevelopmentKeyFile },
        'created a development master key: losing this file loses every secret; set FLEETVAULT_MASTER_KEYS or FLEETVAULT_MASTER_KEY_FILE in production',
      );
    }
  }
  const database = openDatabase(config.databaseUrl, options.database);
  try {
    const { db } = database;
    const keyring = createKeyring({ masterKeys, db });
    const keyDeps = { db, keyring, clock, ids };
    const { signingKey, secretHashKey } = await database.withStartupLock(async () => {
      await migrate(database);
      await keyring.verifyMasterKeys();
      return {
        signingKey: signingKeyFrom(await loadOrCreateVaultKey(keyDeps, 'token-signing', generateSigningKey)),
        secretHashKey: (await loadOrCreateVaultKey(keyDeps, 'client-secret-hash', () => ({ material: randomKey() }))).material,
      };
    });
    const credentials = createCredentialService({
      ...keyDeps,
      lockFleet: database.lockFleet,
      // Domain-separated from client-secret hashes, which use the same vault key.
      fingerprint: (text) => createHmac('sha256', secretHashKey).update('fleetvault:idempotency:v1\n').update(text).digest('base64url'),
    });
    return {
      config,
      database,
      clock,
      ids,
      signingKey,
      keyring,
      services: {
        fleets: createFleetService(keyDeps),
        clients: createClientService({ db, clock, ids, secretHashKey }),
        credentials,
        vehicles: createVehicleService({ db, clock, ids }),
        exchange: createBrandExchange({
          config,
          clock,
          credentials,
          // wired to the audit trail by issue 15: commit a `credential.exchanged` / `credential.verified` event here.
          recordExchange: async () => {},
          options: options.exchange,
          logger: options.logger,
        }),
      },
      close: () => database.close(),
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
