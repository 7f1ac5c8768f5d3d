/**
 * A server process of the benchmark, driven by bench/run.ts over IPC: the fleetvault app
 * (buildApp + listen on 127.0.0.1, port 0) on one engine, and beside it a bare Fastify
 * instance as the baseline. Load comes from the parent, so the two share no event loop.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDeps, type Deps } from '../src/deps.js';
import { sqlitePathFromUrl } from '../src/db/database.js';
import { rawEncryptInsertLoop } from './raw-insert.js';
import type { Command, Reply, Request, ScaleFleet, StartArgs, Started } from './protocol.js';
import { cliContext, cliFleetlessContext } from '../src/core/context.js';

let deps: Deps | undefined;
let app: FastifyInstance | undefined;
let bare: FastifyInstance | undefined;
let dataDir: string | undefined;

const urlOf = (server: FastifyInstance) => `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;

// The scopes the scenarios need (clients get read-only scopes by default).
const benchScopes = ['credentials:read', 'credentials:write', 'credentials:exchange'];

async function tokenFor(fleetId: string, name: string) {
  const client = await deps!.services.clients.createSecretClient(cliContext(fleetId), name, benchScopes);
  const res = await app!.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  if (res.statusCode !== 200) throw new Error(`token request failed: ${res.statusCode} ${res.body}`);
  return { token: res.json().access_token as string, clientId: client.client_id, clientSecret: client.client_secret };
}

async function start(args: StartArgs): Promise<Started> {
  dataDir = args.dataDir;
  const masterKey = `bench:${randomBytes(32).toString('base64')}`;
  const config = loadConfig({
    NODE_ENV: 'production',
    FLEETVAULT_DATA_DIR: args.dataDir,
    FLEETVAULT_MASTER_KEYS: masterKey,
    FLEETVAULT_TOKEN_TTL_SECONDS: '86400',
    LOG_LEVEL: args.logLevel,
    // The limiters stay on (their cost is part of each request) but so high that load never trips them.
    FLEETVAULT_RATE_LIMIT_MAX: '10000000',
    FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '10000000',
    FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '10000000',
    FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '10000000',
    ...(args.databaseUrl !== undefined && { DATABASE_URL: args.databaseUrl }),
    ...args.env,
  });
  deps = await createDeps(config, {
    ...(args.pgSchema !== undefined && { database: { pgSchema: args.pgSchema, pgPoolSize: args.pgPoolSize ?? 10 } }),
  });
  // Silent means no logger at all (as the tests run); any other level logs as the server does, to /dev/null.
  app = await buildApp(deps, args.logLevel === 'silent' ? { logger: false } : {});
  await app.listen({ host: '127.0.0.1', port: 0 });

  bare = Fastify({ logger: false });
  bare.get('/bare', async () => ({ ok: true }));
  await bare.listen({ host: '127.0.0.1', port: 0 });

  const fleet = await deps.services.fleets.create(cliFleetlessContext, 'bench fleet');
  const auth = await tokenFor(fleet.id, 'bench admin');
  const credentialIds: string[] = [];
  for (let i = 0; i < args.poolSize; i++) {
    const view = await deps.services.credentials.create(cliContext(fleet.id), 'niu', {
      name: `Pool ${String(i).padStart(4, '0')}`,
      client_id: `pool-client-${i}`,
      client_secret: randomBytes(24).toString('base64url'),
    });
    credentialIds.push(view.id);
  }
  const exchangeIds: string[] = [];
  for (let i = 0; i < (args.exchangePool ?? 0); i++) {
    const body = { client_id: `bench-smartcar-${i}`, client_secret: 'bench-secret' };
    const view = await deps.services.credentials.create(cliContext(fleet.id), 'smartcar', body);
    exchangeIds.push(view.id);
  }
  return {
    engine: args.engine,
    pid: process.pid,
    appUrl: urlOf(app),
    bareUrl: urlOf(bare),
    fleetId: fleet.id,
    ...auth,
    credentialIds,
    exchangeIds,
    ...(deps.database.engine === 'sqlite' && { sqliteFile: sqlitePathFromUrl(config.databaseUrl) }),
  };
}

async function scaleFleet(name: string): Promise<ScaleFleet> {
  const fleet = await deps!.services.fleets.create(cliFleetlessContext, name);
  const { token } = await tokenFor(fleet.id, `${name} reader`);
  const template = await deps!.services.credentials.create(cliContext(fleet.id), 'niu', {
    name: `${name} template`,
    client_id: 'template-client',
    client_secret: randomBytes(24).toString('base64url'),
  });
  return { fleetId: fleet.id, token, templateId: template.id };
}

let closing: Promise<void> | undefined;
function close(): Promise<void> {
  closing ??= (async () => {
    await bare?.close();
    await app?.close();
    await deps?.close();
  })();
  return closing;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'start':
      return start(command.args);
    case 'fleet':
      return scaleFleet(command.args.name);
    case 'raw':
      if (dataDir === undefined) throw new Error('raw: start first');
      return rawEncryptInsertLoop(dataDir, command.args.seconds);
    case 'memory': {
      const before = process.memoryUsage();
      // Started with --expose-gc: also what the process holds once garbage is collected.
      (globalThis as { gc?: () => void }).gc?.();
      return { ...before, afterGc: process.memoryUsage() };
    }
    case 'cpu':
      // hrtime and V8's profile timestamps share CLOCK_MONOTONIC (libuv's uv_hrtime, V8's TimeTicks on Linux).
      return { ...process.cpuUsage(), atUs: Number(process.hrtime.bigint() / 1000n) };
    case 'close':
      await close();
      return null;
  }
}

process.on('message', (message: Request) => {
  void handle(message.command).then(
    (value) => process.send!({ id: message.id, ok: true, value } satisfies Reply),
    (error: unknown) => process.send!({ id: message.id, ok: false, error: (error as Error).stack ?? String(error) } satisfies Reply),
  );
});
// The runner went away: do not linger.
process.on('disconnect', () => {
  void close().finally(() => process.exit(0));
});
