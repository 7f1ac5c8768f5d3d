import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import type { MasterKey } from '../../src/crypto/master-keys.js';
import { createDeps, type Deps } from '../../src/deps.js';
import type { Clock } from '../../src/core/clock.js';
import { allScopes, type Scope } from '../../src/core/scopes.js';
import type { ExchangeOptions } from '../../src/exchange/create-exchange.js';
import { createTestStorage, type TestStorage } from './test-database.js';
import { cliContext, cliFleetlessContext } from '../../src/core/context.js';
import type { ResolveHost } from '../../src/webhooks/webhook-url.js';

export interface TestApp {
  app: FastifyInstance;
  storage: TestStorage;
  deps: Deps;
  config: Config;
  dataDir: string;
  masterKeys: MasterKey[];
  /** A fleet of its own with an admin token (or a token of the given scopes). */
  newFleet(scopes?: Scope[]): Promise<{ fleetId: string; token: string; clientId: string; clientSecret: string }>;
  /** A token for a new client in the given fleet. */
  tokenFor(fleetId: string, scopes?: Scope[]): Promise<string>;
  /** Injects with `Authorization: Bearer <token>` and JSON. */
  call(token: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** Stops the app; `keepData` leaves the database for a restart with `buildTestApp({ reuse })`. */
  close(options?: { keepData?: boolean }): Promise<void>;
}

export function newMasterKey(id = 'test-1'): MasterKey {
  return { id, key: randomBytes(32) };
}

export interface TestAppOptions {
  /** Restart on the data (directory and database) of an app closed with `keepData`. */
  reuse?: Pick<TestApp, 'dataDir' | 'storage'>;
  masterKeys?: MasterKey[];
  clock?: Clock;
  env?: Record<string, string>;
  /** Brand exchange: fetch, sleep, jitter and the audit recorder. */
  exchange?: ExchangeOptions;
  /** How often the app drops destroyed data keys from memory (createDeps' dataKeyRecheckMs). */
  dataKeyRecheckMs?: number;
  /** How webhook hosts resolve (createDeps' resolveHost). */
  resolveHost?: ResolveHost;
  logger?: Parameters<typeof buildApp>[1] extends infer O ? (O extends { logger?: infer L } ? L : never) : never;
}

/** An app on a fresh temporary SQLite database (or the given data dir, to restart on one). */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.reuse?.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-test-'));
  const storage = options.reuse?.storage ?? (await createTestStorage());
  const masterKeys = options.masterKeys ?? [newMasterKey()];
  const config = loadConfig({
    FLEETVAULT_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    ...(storage.databaseUrl && { DATABASE_URL: storage.databaseUrl }),
    ...options.env,
  });
  let deps: Deps;
  try {
    deps = await createDeps(config, {
      masterKeys,
      ...(options.clock && { clock: options.clock }),
      ...(options.exchange && { exchange: options.exchange }),
      ...(options.dataKeyRecheckMs !== undefined && { dataKeyRecheckMs: options.dataKeyRecheckMs }),
      ...(options.resolveHost && { resolveHost: options.resolveHost }),
      ...(storage.pgSchema && { database: { pgSchema: storage.pgSchema, pgPoolSize: 4 } }),
    });
  } catch (error) {
    if (!options.reuse) await storage.drop();
    throw error;
  }
  const app = await buildApp(deps, { logger: options.logger ?? false });

  async function tokenFor(fleetId: string, scopes?: Scope[]): Promise<string> {
    const client = await deps.services.clients.createSecretClient(cliContext(fleetId), 'test client', scopes ?? allScopes);
    const res = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
    });
    if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
    return res.json().access_token as string;
  }

  return {
    app,
    storage,
    deps,
    config,
    dataDir,
    masterKeys,
    async newFleet(scopes) {
      const fleet = await deps.services.fleets.create(cliFleetlessContext, 'test fleet');
      const client = await deps.services.clients.createSecretClient(cliContext(fleet.id), 'test admin', scopes ?? allScopes);
      const res = await app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
      });
      return { fleetId: fleet.id, token: res.json().access_token, clientId: client.client_id, clientSecret: client.client_secret };
    },
    tokenFor,
    call(token, method, url, body, headers = {}) {
      return app.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${token}`, ...headers },
        ...(body !== undefined && { payload: body as object }),
      });
    },
    async close(closeOptions = {}) {
      await app.close();
      await deps.close();
      if (!closeOptions.keepData) {
        await storage.drop();
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Asserts a problem+json body of the given slug and status, and returns it. */
export function expectProblem(res: LightMyRequestResponse, slug: string, status: number): Record<string, unknown> {
  const body = res.json();
  const ok = res.statusCode === status && body.type === `/problems/${slug}` && body.status === status;
  if (!ok) throw new Error(`expected ${status} ${slug}, got ${res.statusCode} ${res.body}`);
  if (!String(res.headers['content-type']).startsWith('application/problem+json')) {
    throw new Error(`expected application/problem+json, got ${res.headers['content-type']}`);
  }
  return body;
}

export const niuExample = { name: 'NIU fleet Berlin', client_id: 'client1', client_secret: 'supersecret' };
