import { CLIENT_LIVENESS_TTL_MS } from '../../src/clients/client-liveness.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';
import { cliContext } from '../../src/core/context.js';

/**
 * A deleted client's tokens are refused within 5 s on every replica (docs/design.md §2.3): two apps
 * on one database stand for two replicas; the shared injected clock replaces sleeping.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
let a: TestApp;
let b: TestApp;
let admin: string;
let fleetId: string;

beforeAll(async () => {
  a = await buildTestApp({ clock });
  b = await buildTestApp({ reuse: a, masterKeys: a.masterKeys, clock });
  ({ token: admin, fleetId } = await a.newFleet());
});
afterAll(async () => {
  await b?.close({ keepData: true });
  await a?.close();
});

describe('revocation', () => {
  it('replica B refuses a client deleted on replica A within the liveness TTL (2 s) of its last check, 401 invalid-token', async () => {
    const created = await a.deps.services.clients.createSecretClient(cliContext(fleetId), 'to revoke', ['vehicles:read']);
    const token = (
      await a.app.inject({
        method: 'POST',
        url: '/oauth/token',
        payload: { grant_type: 'client_credentials', client_id: created.client_id, client_secret: created.client_secret },
      })
    ).json().access_token;
    expect((await b.call(token, 'GET', '/vehicles')).statusCode).toBe(200);

    expect((await a.call(admin, 'DELETE', `/clients/${created.client_id}`)).statusCode).toBe(204);
    expectProblem(await a.call(token, 'GET', '/vehicles'), 'invalid-token', 401);

    offsetMs += CLIENT_LIVENESS_TTL_MS;
    const res = await b.call(token, 'GET', '/vehicles');
    const body = expectProblem(res, 'invalid-token', 401);
    expect(body.detail).toBe('The access token\u2019s client has been deleted.');
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it('a live client stays accepted across cache expiries', async () => {
    offsetMs += 10_000;
    expect((await b.call(admin, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await a.call(admin, 'GET', '/vehicles')).statusCode).toBe(200);
  });

  it('tokens issued before POST /clients/{id}/secret are refused at once here and within the TTL on replica B; new ones work', async () => {
    const created = await a.deps.services.clients.createSecretClient(cliContext(fleetId), 'to rotate', ['vehicles:read']);
    const tokenWith = async (secret: string) =>
      (
        await a.app.inject({
          method: 'POST',
          url: '/oauth/token',
          payload: { grant_type: 'client_credentials', client_id: created.client_id, client_secret: secret },
        })
      ).json().access_token as string;
    const before = await tokenWith(created.client_secret);
    expect((await b.call(before, 'GET', '/vehicles')).statusCode).toBe(200);

    const rotated = await a.call(admin, 'POST', `/clients/${created.client_id}/secret`);
    expect(rotated.statusCode).toBe(200);
    const body = expectProblem(await a.call(before, 'GET', '/vehicles'), 'invalid-token', 401);
    expect(body.detail).toBe('The access token was issued before the client\u2019s secret was rotated.');

    offsetMs += CLIENT_LIVENESS_TTL_MS;
    expectProblem(await b.call(before, 'GET', '/vehicles'), 'invalid-token', 401);
    const after = await tokenWith(rotated.json().client_secret);
    expect((await a.call(after, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await b.call(after, 'GET', '/vehicles')).statusCode).toBe(200);
  });
});
