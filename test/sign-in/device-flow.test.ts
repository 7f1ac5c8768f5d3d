import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { authorizeDevice, decideDevice, pollDevice, verifyDevice } from '../helpers/sign-in-flow.js';

/**
 * The device authorization grant (RFC 8628) through a real OpenID provider (docs/sign-in.md): each answer of the
 * token endpoint in turn (§3.5), the confirmation step (§5.4) and single use of every code.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
let idp: TestIdp;
let t: TestApp;
let fleetId: string;

beforeAll(async () => {
  idp = await startTestIdp(
    [
      { sub: 'ada', email: 'ada@fleetco.example', name: 'Ada Ops', groups: ['ops'] },
      { sub: 'bob', email: 'bob@fleetco.example', name: 'Bob Nobody', groups: [] },
    ],
    'http://localhost:8080/auth/oidc/callback',
  );
  t = await buildTestApp({ env: idp.env(), clock });
  const fleet = await t.newFleet();
  fleetId = fleet.fleetId;
  const rule = await t.call(fleet.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'ops', scopes: ['vehicles:read'] });
  expect(rule.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

const errorOf = (res: { statusCode: number; json(): { error: string } }) => [res.statusCode, res.json().error];
const wait = (seconds: number) => (offsetMs += seconds * 1000);

describe('device authorization grant (RFC 8628)', () => {
  it('answers the §3.2 fields: a user code of 8 consonants, the verification URIs, 600 s, interval 5', async () => {
    const answer = await authorizeDevice(t);
    expect(answer.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(answer).toMatchObject({
      verification_uri: `${t.config.publicUrl}/auth/device`,
      verification_uri_complete: `${t.config.publicUrl}/auth/device?user_code=${answer.user_code}`,
      expires_in: 600,
      interval: 5,
    });
  });

  it('authorization_pending until the person approves, then the person token, once (invalid_grant after)', async () => {
    const device = await authorizeDevice(t);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'authorization_pending']);
    idp.signInAs('ada');
    const { page, confirm, fleets } = await verifyDevice(t, device.user_code);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(device.user_code);
    expect(page.body).toContain('ada@fleetco.example');
    expect(fleets).toEqual([fleetId]);
    wait(5);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'authorization_pending']);
    const decided = await decideDevice(t, { user_code: device.user_code, confirm: confirm!, decision: 'approve', fleet: fleetId });
    expect(decided.statusCode).toBe(200);
    expect(decided.body).toContain('Device approved');
    wait(5);
    const token = await pollDevice(t, device.device_code);
    expect(token.statusCode).toBe(200);
    expect(token.json()).toMatchObject({
      token_type: 'Bearer',
      fleet_id: fleetId,
      scope: 'vehicles:read',
      person: { email: 'ada@fleetco.example' },
    });
    expect((await t.call(token.json().access_token, 'GET', '/vehicles')).statusCode).toBe(200);
    wait(5);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'invalid_grant']);
  });

  it('slow_down when polled within the interval, and the interval grows by 5 s for every later poll', async () => {
    const device = await authorizeDevice(t);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'authorization_pending']);
    wait(1);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'slow_down']);
    wait(5);
    // 5 s was the interval; it is 10 s now.
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'slow_down']);
    wait(15);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'authorization_pending']);
  });

  it('access_denied when the person denies, and the device code is gone after', async () => {
    const device = await authorizeDevice(t);
    idp.signInAs('ada');
    const { confirm } = await verifyDevice(t, device.user_code);
    expect((await decideDevice(t, { user_code: device.user_code, confirm: confirm!, decision: 'deny' })).body).toContain('Device denied');
    wait(5);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'access_denied']);
    wait(5);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'invalid_grant']);
  });

  it('access_denied when no sign-in rule lets the person in (a refusal page in the browser)', async () => {
    const device = await authorizeDevice(t);
    idp.signInAs('bob');
    const { page, confirm } = await verifyDevice(t, device.user_code);
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('No sign-in rule lets you in');
    expect(confirm).toBeUndefined();
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'access_denied']);
  });

  it('access_denied when the device asked for a fleet the person has no rule in', async () => {
    const other = await t.newFleet();
    const device = await authorizeDevice(t, other.fleetId);
    idp.signInAs('ada');
    expect((await verifyDevice(t, device.user_code)).page.statusCode).toBe(403);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'access_denied']);
  });

  it('expired_token after 600 s', async () => {
    const device = await authorizeDevice(t);
    wait(601);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'expired_token']);
  });

  it('invalid_grant for an unknown device code, invalid_client for another client id', async () => {
    expect(errorOf(await pollDevice(t, 'not-a-device-code'))).toEqual([400, 'invalid_grant']);
    const device = await authorizeDevice(t);
    expect(errorOf(await pollDevice(t, device.device_code, 'fleetvault-console'))).toEqual([401, 'invalid_client']);
  });

  it('a user code serves one sign-in; a forged confirmation is refused and approves nothing', async () => {
    const device = await authorizeDevice(t);
    idp.signInAs('ada');
    const { confirm } = await verifyDevice(t, device.user_code);
    expect(confirm).toBeDefined();
    const again = await t.app.inject({ method: 'GET', url: `/auth/device?user_code=${device.user_code}` });
    expect(again.statusCode).toBe(404);
    expect(again.body).toContain('unknown, expired or already used');
    const forged = await decideDevice(t, { user_code: device.user_code, confirm: 'forged', decision: 'approve', fleet: fleetId });
    expect(forged.statusCode).toBe(403);
    expect(errorOf(await pollDevice(t, device.device_code))).toEqual([400, 'authorization_pending']);
  });

  it('the verification page asks for the code when none is given; a mistyped code is a 404 page', async () => {
    const form = await t.app.inject({ method: 'GET', url: '/auth/device' });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('<form method="get" action="/auth/device">');
    expect(form.headers['content-security-policy']).toContain('form-action');
    const mistyped = await t.app.inject({ method: 'GET', url: '/auth/device?user_code=AAAA-AAAA' });
    expect(mistyped.statusCode).toBe(404);
    expect(mistyped.body).toContain('This code is unknown, expired or already used');
    expect(mistyped.body).toContain('<form method="get" action="/auth/device">');
  });
});
