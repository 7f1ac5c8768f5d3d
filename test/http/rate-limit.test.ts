import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';
import { newKeyClient, signEs256 } from '../helpers/key-client.js';
import { cliContext } from '../../src/core/context.js';

/** Rate limits (brute force, and the global per-client limit); real counters, tiny limits. */
const apps: TestApp[] = [];
afterEach(async () => {
  // Replicas share one database: close the reusing apps first, the owner last.
  const started = apps.splice(0);
  for (const t of [...started].reverse()) await t.close({ keepData: t !== started[0] && t.dataDir === started[0]!.dataDir });
});

async function app(env: Record<string, string>, reuse?: TestApp) {
  const t = await buildTestApp({ env, ...(reuse && { reuse, masterKeys: reuse.masterKeys }) });
  apps.push(t);
  return t;
}

const secretRequest = (t: TestApp, clientId: string, secret = 'wrong') =>
  t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    payload: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });

describe('/oauth/token and /v1/auth_tokens', () => {
  it('per client id: the 4th attempt within the window is 429 slow_down with Retry-After; another client still gets in', async () => {
    const t = await app({ FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '4' });
    const fleet = await t.newFleet(); // its own token request counts as the first
    const attempts = [];
    for (let i = 0; i < 4; i++) attempts.push(await secretRequest(t, fleet.clientId));
    expect(attempts.map((r) => r.statusCode)).toEqual([401, 401, 401, 429]);
    const limited = attempts[3]!;
    expect(limited.json()).toEqual({ error: 'slow_down', error_description: expect.stringContaining('Too many requests') });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['x-ratelimit-limit']).toBe('4');
    expect(limited.headers['x-ratelimit-remaining']).toBe('0');
    expect(attempts[0]!.headers['x-ratelimit-remaining']).toBe('2');
    // The right secret is refused too while limited: guessing cannot continue.
    expect((await secretRequest(t, fleet.clientId, fleet.clientSecret)).statusCode).toBe(429);
    const other = await t.deps.services.clients.createSecretClient(cliContext(fleet.fleetId), 'other');
    expect((await secretRequest(t, other.client_id, other.client_secret)).statusCode).toBe(200);
  });

  it('per source address: many client ids from one address are limited together', async () => {
    const t = await app({ FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '3' });
    const codes = [];
    for (const id of ['A1', 'A2', 'A3', 'A4']) codes.push((await secretRequest(t, id)).statusCode);
    expect(codes).toEqual([401, 401, 401, 429]);
  });

  it('/v1/auth_tokens answers 429 in High Mobility\u2019s error shape, limited by the assertion\u2019s iss', async () => {
    const t = await app({ FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '2', FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '100' });
    const { keyFile, privateKey } = await newKeyClient(t, (await t.newFleet()).token);
    const now = Math.floor(Date.now() / 1000);
    const send = () =>
      t.app.inject({
        method: 'POST',
        url: '/v1/auth_tokens',
        payload: { assertion: signEs256({ iss: keyFile.id, aud: t.config.publicUrl, iat: now, jti: crypto.randomUUID() }, privateKey) },
      });
    expect((await send()).statusCode).toBe(201);
    expect((await send()).statusCode).toBe(201);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ errors: [{ title: 'Too many requests', detail: expect.any(String) }] });
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('logs failed client authentications with the client id and reason, never the presented secret', async () => {
    const lines: string[] = [];
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    const t = await buildTestApp({ logger: pino({ level: 'info' }, stream) });
    apps.push(t);
    const fleet = await t.newFleet();
    await secretRequest(t, fleet.clientId, 'guess-number-one');
    const failures = lines.map((l) => JSON.parse(l)).filter((l) => l.event === 'client-authentication-failed');
    expect(failures).toEqual([
      expect.objectContaining({ client_id: fleet.clientId, reason: 'invalid_client', grant_type: 'client_credentials' }),
    ]);
    expect(lines.join('\n')).not.toContain('guess-number-one');
  });
});

describe('global per-client limit', () => {
  it('limits each client separately, answers 429 too-many-requests with X-RateLimit-*, never limits /healthz', async () => {
    const t = await app({ FLEETVAULT_RATE_LIMIT_MAX: '3' });
    const a = await t.newFleet();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await t.call(a.token, 'GET', '/vehicles')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
    const limited = await t.call(a.token, 'GET', '/vehicles');
    expectProblem(limited, 'too-many-requests', 429);
    expect(limited.headers['x-ratelimit-limit']).toBe('3');
    expect(limited.headers['retry-after']).toBeDefined();
    const b = await t.newFleet();
    expect((await t.call(b.token, 'GET', '/vehicles')).headers['x-ratelimit-remaining']).toBe('2');
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('with REDIS_URL, two replicas share one client\u2019s counter', async () => {
    const env = { FLEETVAULT_RATE_LIMIT_MAX: '3', REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
    const first = await app(env);
    const second = await app(env, first);
    const { token } = await first.newFleet();
    const codes = [];
    for (const replica of [first, second, first, second]) codes.push((await replica.call(token, 'GET', '/vehicles')).statusCode);
    expect(codes).toEqual([200, 200, 200, 429]);
  });
});

describe('per client id on the token endpoint', () => {
  it('keys on the percent-decoded HTTP Basic user name, as the endpoint authenticates it (RFC 6749 §2.3.1)', async () => {
    const t = await app({ FLEETVAULT_TOKEN_RATE_LIMIT_PER_CLIENT: '3', FLEETVAULT_TOKEN_RATE_LIMIT_PER_ADDRESS: '100' });
    const fleet = await t.newFleet(); // its own token request counts as the first
    const id = fleet.clientId;
    const encodedAt = (i: number) => `${id.slice(0, i)}%${id.charCodeAt(i).toString(16)}${id.slice(i + 1)}`;
    const basic = (user: string, secret: string) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
        payload: { grant_type: 'client_credentials' },
      });
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await basic(encodedAt(i), 'wrong')).statusCode);
    expect(codes).toEqual([401, 401, 429, 429]);
    expect((await basic(encodedAt(5), fleet.clientSecret)).statusCode).toBe(429);
    expect((await basic(fleet.clientId, fleet.clientSecret)).statusCode).toBe(429);
  });
});
