import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_LIVENESS_TTL_MS } from '../../src/clients/client-liveness.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';
import { identity, personToken } from '../helpers/people.js';

/**
 * Deleting a sign-in rule stops its people's tokens within 5 s on every replica (docs/design.md §2.11), as
 * deleting a client does: two apps on one database stand for two replicas; the shared clock replaces sleeping.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
let a: TestApp;
let b: TestApp;
let admin: string;

beforeAll(async () => {
  a = await buildTestApp({ clock });
  b = await buildTestApp({ reuse: a, masterKeys: a.masterKeys, clock });
  ({ token: admin } = await a.newFleet());
});
afterAll(async () => {
  await b?.close({ keepData: true });
  await a?.close();
});

describe('person token revocation', () => {
  it('replica B refuses a person token within the liveness TTL of the rule\u2019s deletion on replica A (401 invalid-token)', async () => {
    const { token, ruleId } = await personToken(
      a,
      admin,
      { equals: 'revoked', scopes: ['vehicles:read'] },
      identity('gus', { groups: ['revoked'] }),
    );
    expect((await b.call(token, 'GET', '/vehicles')).statusCode).toBe(200);

    expect((await a.call(admin, 'DELETE', `/sign-in-rules/${ruleId}`)).statusCode).toBe(204);
    expectProblem(await a.call(token, 'GET', '/vehicles'), 'invalid-token', 401);

    offsetMs += CLIENT_LIVENESS_TTL_MS;
    const body = expectProblem(await b.call(token, 'GET', '/vehicles'), 'invalid-token', 401);
    expect(body.detail).toBe('The access token\u2019s sign-in rule has been deleted.');
  });

  it('a token from two rules dies with either', async () => {
    await a.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'pair-1' });
    const { token, ruleId } = await personToken(a, admin, { equals: 'pair-2' }, identity('hal', { groups: ['pair-1', 'pair-2'] }));
    expect((await a.call(token, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await a.call(admin, 'DELETE', `/sign-in-rules/${ruleId}`)).statusCode).toBe(204);
    expectProblem(await a.call(token, 'GET', '/vehicles'), 'invalid-token', 401);
  });

  it('a live rule\u2019s tokens stay accepted across cache expiries', async () => {
    const { token } = await personToken(a, admin, { equals: 'stays' }, identity('ida', { groups: ['stays'] }));
    offsetMs += 10_000;
    expect((await b.call(token, 'GET', '/vehicles')).statusCode).toBe(200);
    expect((await a.call(token, 'GET', '/vehicles')).statusCode).toBe(200);
  });
});
