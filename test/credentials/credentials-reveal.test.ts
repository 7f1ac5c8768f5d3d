import { generateKeyPairSync } from 'node:crypto';
import { parse } from 'dotenv';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allScopes, type Scope } from '../../src/core/scopes.js';
import { auditRows, auditSwitch } from '../helpers/audit-switch.js';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/** Reveal (docs/design.md §2.7): the one audited way a secret leaves, as JSON or as an env file. */
let t: TestApp;
let token: string;
let fleetId: string;
const logLines: string[] = [];
const pem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const revealScopes: Scope[] = ['credentials:read', 'credentials:write', 'credentials:reveal', 'audit:read'];

beforeAll(async () => {
  t = await buildTestApp({
    logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }),
    env: { FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: '1000' },
  });
  const fleet = await t.newFleet(revealScopes);
  token = fleet.token;
  fleetId = fleet.fleetId;
});

afterAll(async () => {
  await t?.close();
});

async function create(brand: string, body: Record<string, unknown>): Promise<string> {
  const res = await t.call(token, 'POST', `/${brand}/credentials`, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe('GET /{brand}/credentials/{id}/secrets', () => {
  it('answers the stored secrets with the identity fields, uncacheable, and records credential.revealed', async () => {
    const id = await create('niu', { ...niuExample, name: 'reveal json' });
    const res = await t.call(token, 'GET', `/NIU/credentials/${id}/secrets`, undefined, { 'x-request-id': 'reveal-1' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ id, brand: 'niu', client_id: 'client1', secret_version: 1, secrets: { client_secret: 'supersecret' } });
    const [event] = (await t.call(token, 'GET', '/audit?limit=1')).json().items;
    expect(event).toMatchObject({
      action: 'credential.revealed',
      target: { type: 'credential', id, brand: 'niu' },
      request_id: res.headers['x-request-id'],
      client_request_id: 'reveal-1',
      details: { secret_version: 1, format: 'json' },
    });
    expect(JSON.stringify(event)).not.toContain('supersecret');
  });

  it('writes openobd_credentials.env exactly as Jifeline documents it, on ?format=env and on Accept: text/plain', async () => {
    const id = await create('openobd', { client_id: 'partner-9', client_secret: 'obd secret #1', cluster_id: '001' });
    for (const [query, headers] of [
      ['?format=env', {}],
      ['', { accept: 'text/plain' }],
    ] as const) {
      const res = await t.call(token, 'GET', `/openobd/credentials/${id}/secrets${query}`, undefined, headers);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(res.headers['content-disposition']).toBe('attachment; filename="openobd_credentials.env"');
      expect(res.body).toBe(
        "OPENOBD_PARTNER_CLIENT_ID=partner-9\nOPENOBD_PARTNER_CLIENT_SECRET='obd secret " +
          "#1'\nOPENOBD_CLUSTER_ID=001\nOPENOBD_GRPC_HOST=grpc.openobd.com\n",
      );
    }
    const [event] = (await t.call(token, 'GET', '/audit?limit=1')).json().items;
    expect(event.details).toEqual({ secret_version: 1, format: 'env' });
  });

  it('gives the generic <SLUG>_<FIELD> env file, which dotenv reads back to the stored values, a multi-line PEM included', async () => {
    const id = await create('high-mobility', { client_id: 'hm-client', environment: 'sandbox', key_id: 'key-1', private_key: pem });
    const res = await t.call(token, 'GET', `/high-mobility/credentials/${id}/secrets?format=env`);
    expect(res.headers['content-disposition']).toBe('attachment; filename="high-mobility_credentials.env"');
    expect(parse(res.body)).toEqual({
      HIGH_MOBILITY_CLIENT_ID: 'hm-client',
      HIGH_MOBILITY_ENVIRONMENT: 'sandbox',
      HIGH_MOBILITY_KEY_ID: 'key-1',
      HIGH_MOBILITY_PRIVATE_KEY: pem,
    });
  });

  it('answers JSON when the client accepts both', async () => {
    const id = await create('niu', { client_id: 'both', client_secret: 's' });
    const res = await t.call(token, 'GET', `/niu/credentials/${id}/secrets`, undefined, { accept: 'text/plain, application/json' });
    expect(res.headers['content-type']).toContain('application/json');
  });

  it('needs credentials:reveal, whatever else the token holds', async () => {
    const id = await create('niu', { client_id: 'scoped', client_secret: 'scoped-secret' });
    const everythingElse = await t.tokenFor(
      fleetId,
      allScopes.filter((s) => s !== 'credentials:reveal'),
    );
    const body = expectProblem(await t.call(everythingElse, 'GET', `/niu/credentials/${id}/secrets`), 'insufficient-scope', 403);
    expect(JSON.stringify(body)).not.toContain('scoped-secret');
  });

  it('is 404 for an unknown id, another brand, another fleet, and 422 for a bad query', async () => {
    const id = await create('niu', { client_id: 'private', client_secret: 'p' });
    expectProblem(await t.call(token, 'GET', '/niu/credentials/01JAAAAAAAAAAAAAAAAAAAAAAA/secrets'), 'not-found', 404);
    expectProblem(await t.call(token, 'GET', `/segway/credentials/${id}/secrets`), 'not-found', 404);
    const stranger = await t.newFleet(revealScopes);
    expectProblem(await t.call(stranger.token, 'GET', `/niu/credentials/${id}/secrets`), 'not-found', 404);
    for (const query of ['?format=yaml', '?version=0', '?version=abc', '?verbose=1']) {
      expectProblem(await t.call(token, 'GET', `/niu/credentials/${id}/secrets${query}`), 'validation-failed', 422);
    }
  });

  it('returns no secret when its event cannot be written (503), and no event exists for it', async () => {
    const id = await create('niu', { client_id: 'closed', client_secret: 'fail-closed-secret' });
    const before = (await auditRows(t, fleetId)).length;
    await auditSwitch.off(t);
    try {
      const res = await t.call(token, 'GET', `/niu/credentials/${id}/secrets?format=env`);
      expectProblem(res, 'service-unavailable', 503);
      expect(res.body).not.toContain('fail-closed-secret');
    } finally {
      await auditSwitch.on(t);
    }
    expect((await auditRows(t, fleetId)).length).toBe(before);
    // Operators learn why from the log (the database's reason), callers only that it failed.
    const logged = logLines.filter((line) => line.includes('The audit trail could not be written'));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('\n')).toContain('audit switched off by a test');
    expect(logged.join('\n')).not.toContain('fail-closed-secret');
  });

  it('never writes a revealed secret to the log', async () => {
    const id = await create('niu', { client_id: 'logged', client_secret: 'log-scan-secret-5150' });
    await t.call(token, 'GET', `/niu/credentials/${id}/secrets`);
    await t.call(token, 'GET', `/niu/credentials/${id}/secrets?format=env`);
    expect(logLines.join('\n')).not.toContain('log-scan-secret-5150');
    expect(logLines.some((line) => line.includes('/secrets'))).toBe(true);
  });
});

describe('reveal rate limit', () => {
  it('answers 429 past FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT, while other reads go on', async () => {
    const limited = await buildTestApp({ env: { FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: '2' } });
    try {
      const fleet = await limited.newFleet(revealScopes);
      const id = (await limited.call(fleet.token, 'POST', '/niu/credentials', niuExample)).json().id;
      for (let i = 0; i < 2; i++) expect((await limited.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets`)).statusCode).toBe(200);
      const refused = await limited.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets`);
      expectProblem(refused, 'too-many-requests', 429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect((await limited.call(fleet.token, 'GET', `/niu/credentials/${id}`)).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('a 422 env reveal is not recorded and does not spend the budget: the JSON reveals after it still get through', async () => {
    const limited = await buildTestApp({ env: { FLEETVAULT_REVEAL_RATE_LIMIT_PER_CLIENT: '2' } });
    try {
      const fleet = await limited.newFleet(revealScopes);
      const id = (await limited.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'q', client_secret: "it's-quoted" })).json().id;
      const revealed = async () => (await auditRows(limited, fleet.fleetId)).filter((row) => row.action === 'credential.revealed');
      for (let i = 0; i < 3; i++) {
        const refused = expectProblem(
          await limited.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets?format=env`),
          'validation-failed',
          422,
        );
        expect(refused.errors).toEqual([expect.objectContaining({ pointer: '/client_secret' })]);
        expect(await revealed()).toEqual([]);
      }
      for (let i = 0; i < 2; i++) expect((await limited.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets`)).statusCode).toBe(200);
      expect(await revealed()).toHaveLength(2);
      expectProblem(await limited.call(fleet.token, 'GET', `/niu/credentials/${id}/secrets`), 'too-many-requests', 429);
    } finally {
      await limited.close();
    }
  });
});
