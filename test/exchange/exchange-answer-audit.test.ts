import { afterEach, describe, expect, it } from 'vitest';
import { exchangeAdapters as adapters } from '../../src/brands/brand-registry.js';
import { readOAuthAnswer } from '../../src/brands/adapters/oauth-client-credentials.js';
import type { BrandAdapter } from '../../src/brands/brand-adapter.js';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/**
 * A smartcar flow that, unlike the catalogue's adapters, believes any lifetime the brand announces: the
 * way a future adapter could forget the cap. Its token then expires past the largest Date, so no
 * answer (and no cache entry) can be built from it.
 */
const uncappedSmartcar: BrandAdapter = {
  ...adapters.get('smartcar')!,
  readAnswer(status, body) {
    const answer = readOAuthAnswer(status, body, 3600);
    const announced = Number((body as { expires_in?: unknown } | undefined)?.expires_in);
    return answer.kind === 'token' ? { kind: 'token', token: { ...answer.token, expires_in: announced } } : answer;
  },
};

let x: ExchangeTestApp | undefined;
afterEach(() => x?.close());

const exchangedEvents = async (app: ExchangeTestApp) =>
  (await app.t.call(app.token, 'GET', '/audit?action=credential.exchanged')).json().items as { outcome: string; details: unknown }[];

describe('the success event is recorded only for an answer that is sent (docs/brands.md)', () => {
  it('a brand answer that cannot become a token answer is 502 with a failure event, never a success event', async () => {
    x = await buildExchangeApp({ realAudit: true, adapters: new Map([...adapters, ['smartcar', uncappedSmartcar]]) });
    const smartcar = x.emulators.smartcar!;
    smartcar.accounts.set('sc-absurd', 'sc-secret');
    smartcar.tokenLifetimeSeconds = 1e13;
    const created = await x.t.call(x.token, 'POST', '/smartcar/credentials', { client_id: 'sc-absurd', client_secret: 'sc-secret' });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;

    const res = await x.exchange(id, 'smartcar');
    expect(expectProblem(res, 'brand-unavailable', 502).brand_status).toBe(200);
    expect(res.body).not.toContain(smartcar.issued.at(-1)!);
    expect(await exchangedEvents(x)).toEqual([
      expect.objectContaining({ outcome: 'failure', details: { cached: false, brand_status: 200 } }),
    ]);
    expect(x.t.deps.services.exchange.cachedTokenCount()).toBe(0);

    // The same credential with a lifetime a Date can hold: 200 and its success event.
    smartcar.tokenLifetimeSeconds = 3600;
    expect((await x.exchange(id, 'smartcar')).statusCode).toBe(200);
    expect((await exchangedEvents(x)).map((e) => e.outcome)).toEqual(['success', 'failure']);
  });
});
