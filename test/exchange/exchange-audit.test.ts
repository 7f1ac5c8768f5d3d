import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, auditSwitch } from '../helpers/audit-switch.js';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/** The brand exchange through the vault's real audit trail (docs/design.md §2.6, §2.9): every answer is an event, fail-closed. */
let x: ExchangeTestApp;
let credentialId: string;

beforeAll(async () => {
  x = await buildExchangeApp({ realAudit: true });
  x.emulators.smartcar!.accounts.set('sc-audit', 'sc-audit-secret');
  const created = await x.t.call(x.token, 'POST', '/smartcar/credentials', { client_id: 'sc-audit', client_secret: 'sc-audit-secret' });
  expect(created.statusCode, created.body).toBe(201);
  credentialId = created.json().id;
});
afterAll(() => x?.close());

const latest = async (action: string) => (await x.t.call(x.token, 'GET', `/audit?limit=1&action=${action}`)).json().items[0];

describe('exchange audit events', () => {
  it('records an upstream exchange and a cached one as credential.exchanged, never the token', async () => {
    const first = await x.exchange(credentialId, 'smartcar');
    expect(first.statusCode, first.body).toBe(200);
    expect(await latest('credential.exchanged')).toMatchObject({
      actor: { type: 'client' },
      target: { type: 'credential', id: credentialId, brand: 'smartcar' },
      outcome: 'success',
      details: { cached: false, brand_status: 200 },
    });
    const second = await x.exchange(credentialId, 'smartcar');
    expect(second.json().cached).toBe(true);
    expect((await latest('credential.exchanged')).details).toEqual({ cached: true, brand_status: null });
    const rows = JSON.stringify(await auditRows(x.t, x.fleetId));
    expect(rows).not.toContain(first.json().access_token);
    expect(rows).not.toContain('sc-audit-secret');
  });

  it('sends no token when the event cannot be written (503)', async () => {
    await auditSwitch.off(x.t);
    try {
      const res = await x.exchange(credentialId, 'smartcar');
      expectProblem(res, 'service-unavailable', 503);
      expect(res.body).not.toContain('access_token');
    } finally {
      await auditSwitch.on(x.t);
    }
  });

  it('records a refused verify-on-write as credential.verified (failure, no target id) and stores nothing', async () => {
    const res = await x.t.call(x.token, 'POST', '/smartcar/credentials?verify=true', { client_id: 'sc-audit', client_secret: 'wrong' });
    expectProblem(res, 'credentials-rejected-by-brand', 422);
    expect(await latest('credential.verified')).toMatchObject({
      outcome: 'failure',
      target: { type: 'credential', id: null, brand: 'smartcar' },
      details: { brand_status: 401, brand_error: 'invalid_client' },
    });
    expect(await latest('credential.created')).toMatchObject({ target: { id: credentialId } });
    // The chain still verifies with an event whose target id is null.
    const [report] = await x.t.deps.services.audit.verify({ fleetId: x.fleetId });
    expect(report!.problem).toBeUndefined();
  });
});

describe('the exchange unit of work', () => {
  it('leaves the credential status unchanged when the event cannot be written: both commit or neither', async () => {
    x.emulators.smartcar!.accounts.set('sc-status', 'sc-status-secret');
    const body = { client_id: 'sc-status', client_secret: 'sc-status-secret' };
    const id = (await x.t.call(x.token, 'POST', '/smartcar/credentials', body)).json().id;
    const calls = x.emulators.smartcar!.calls;
    await auditSwitch.off(x.t);
    try {
      expectProblem(await x.exchange(id, 'smartcar'), 'service-unavailable', 503);
    } finally {
      await auditSwitch.on(x.t);
    }
    // The brand did answer (so a status was due), yet neither the event nor the status committed.
    expect(x.emulators.smartcar!.calls).toBe(calls + 1);
    const view = (await x.t.call(x.token, 'GET', `/smartcar/credentials/${id}`)).json();
    expect(view).toMatchObject({ status: 'unknown', status_checked_at: null });
    const events = await x.t.call(x.token, 'GET', `/audit?action=credential.exchanged&target_id=${id}`);
    expect(events.json().items).toEqual([]);
  });
});
