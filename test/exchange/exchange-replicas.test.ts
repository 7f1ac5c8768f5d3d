import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startAllEmulators } from '../emulators/all.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * Two replicas (two apps, each with its own token cache) on one database: on PostgreSQL the
 * issue's "two replicas exchanging the same credential make at most one upstream call each".
 */
let emulators: Emulators;
let a: TestApp;
let b: TestApp;
let tokenA: string;
let tokenB: string;

beforeAll(async () => {
  emulators = await startAllEmulators();
  a = await buildTestApp({ env: emulators.env });
  b = await buildTestApp({ env: emulators.env, reuse: { dataDir: a.dataDir, storage: a.storage }, masterKeys: a.masterKeys });
  const fleet = await a.newFleet();
  tokenA = fleet.token;
  tokenB = await b.tokenFor(fleet.fleetId);
});
afterAll(async () => {
  await b?.close({ keepData: true });
  await a?.close();
  await emulators?.closeAll();
});

describe('two replicas', () => {
  it('100 concurrent exchanges split over both reach the brand at most once per replica', async () => {
    const smartcar = emulators.smartcar!;
    smartcar.accounts.set('replica-client', 'replica-secret');
    const body = { client_id: 'replica-client', client_secret: 'replica-secret' };
    const id = (await a.call(tokenA, 'POST', '/smartcar/credentials', body)).json().id;
    const url = `/smartcar/credentials/${id}/token`;
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? a.call(tokenA, 'POST', url) : b.call(tokenB, 'POST', url))),
    );
    expect(answers.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
    expect(smartcar.calls).toBe(2);
  });

  it('a rotation on one replica: the other never serves the older secret\u2019s token', async () => {
    const smartcar = emulators.smartcar!;
    smartcar.accounts.set('replica-rotating', 'v1');
    const id = (await a.call(tokenA, 'POST', '/smartcar/credentials', { client_id: 'replica-rotating', client_secret: 'v1' })).json().id;
    const old = (await b.call(tokenB, 'POST', `/smartcar/credentials/${id}/token`)).json();
    smartcar.accounts.set('replica-rotating', 'v2');
    expect((await a.call(tokenA, 'PATCH', `/smartcar/credentials/${id}`, { client_secret: 'v2' })).statusCode).toBe(200);
    const fresh = (await b.call(tokenB, 'POST', `/smartcar/credentials/${id}/token`)).json();
    expect(fresh).toMatchObject({ secret_version: 2, cached: false });
    expect(fresh.access_token).not.toBe(old.access_token);
    expect(new URLSearchParams(smartcar.requests.at(-1)!.body).get('client_secret')).toBe('v2');
  });
});
