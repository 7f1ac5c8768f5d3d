import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { allScopes } from '../../src/core/scopes.js';
import { loadConfig } from '../../src/config.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { adminQuery } from '../helpers/test-database.js';
import { expectProblem, newMasterKey, niuExample } from '../helpers/test-app.js';
import { cliContext, cliFleetlessContext } from '../../src/core/context.js';

/**
 * PostgreSQL going away, simulated without touching the shared server: the app logs in as
 * a role of its own, whose login we revoke (and whose sessions we end), then restore.
 */
const adminUrl = process.env.TEST_DATABASE_URL!;
const suffix = randomBytes(5).toString('hex');
const role = `fv_outage_${suffix}`;
const schema = `fv_outage_${suffix}`;

let app: FastifyInstance;
let deps: Deps;
let token: string;
let credentialPath: string;

async function cutAccess() {
  await adminQuery(adminUrl, `ALTER ROLE ${role} NOLOGIN`);
  await adminQuery(adminUrl, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
}

beforeAll(async () => {
  await adminQuery(adminUrl, `CREATE ROLE ${role} LOGIN`);
  await adminQuery(adminUrl, `CREATE SCHEMA ${schema} AUTHORIZATION ${role}`);
  const url = new URL(adminUrl);
  url.username = role;
  url.password = '';
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-outage-'));
  const config = loadConfig({ FLEETVAULT_DATA_DIR: dataDir, DATABASE_URL: url.toString(), LOG_LEVEL: 'silent', NODE_ENV: 'test' });
  deps = await createDeps(config, { masterKeys: [newMasterKey()], database: { pgSchema: schema, pgPoolSize: 4 } });
  app = await buildApp(deps, { logger: false });
  const fleet = await deps.services.fleets.create(cliFleetlessContext, 'outage fleet');
  const client = await deps.services.clients.createSecretClient(cliContext(fleet.id), 'outage client', allScopes);
  const res = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret },
  });
  token = res.json().access_token;
  const created = await app.inject({
    method: 'POST',
    url: '/niu/credentials',
    headers: { authorization: `Bearer ${token}` },
    payload: niuExample,
  });
  expect(created.statusCode).toBe(201);
  credentialPath = created.headers.location as string;
});

afterAll(async () => {
  await app?.close();
  await deps?.close();
  await adminQuery(adminUrl, `ALTER ROLE ${role} LOGIN`).catch(() => {});
  await adminQuery(adminUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await adminQuery(adminUrl, 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
  await adminQuery(adminUrl, `DROP ROLE IF EXISTS ${role}`);
});

const get = (url: string) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });

describe('PostgreSQL outage', () => {
  it('answers 503 service-unavailable while the database refuses us, and recovers by itself', async () => {
    expect((await get('/readyz')).statusCode).toBe(200);
    expect((await get(credentialPath)).statusCode).toBe(200);

    await cutAccess();

    const ready = await get('/readyz');
    expectProblem(ready, 'service-unavailable', 503);
    const read = await get(credentialPath);
    expectProblem(read, 'service-unavailable', 503);
    expect(read.headers['retry-after']).toBe('1');
    const write = await app.inject({
      method: 'POST',
      url: '/niu/credentials',
      headers: { authorization: `Bearer ${token}` },
      payload: { ...niuExample, name: 'during outage' },
    });
    expectProblem(write, 'service-unavailable', 503);
    expect(write.body).not.toContain('supersecret');

    await adminQuery(adminUrl, `ALTER ROLE ${role} LOGIN`);

    // The pool reconnects on a later request; no restart, no manual step. Each answer is awaited and
    // the loop ends on the first 200 (a fixed number of timed attempts failed on a loaded machine);
    // every answer before it is a clean 503, never a 500.
    const before: number[] = [];
    for (let status = (await get(credentialPath)).statusCode; status !== 200; status = (await get(credentialPath)).statusCode) {
      before.push(status);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(before.filter((status) => status !== 503)).toEqual([]);
    expect((await get('/readyz')).statusCode).toBe(200);
    const after = await app.inject({
      method: 'POST',
      url: '/niu/credentials',
      headers: { authorization: `Bearer ${token}` },
      payload: { ...niuExample, name: 'after outage' },
    });
    expect(after.statusCode).toBe(201);
  });
});
