import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';
import { startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { consoleSignIn, exchangeCode, pkcePair } from '../helpers/sign-in-flow.js';

/**
 * The console's sign-in through a real OpenID provider (docs/sign-in.md): the code flow end to end, and the
 * attacks on it: replayed and expired codes and states, a code without its PKCE verifier, a foreign redirect_uri,
 * a person no rule admits, the provider's own refusal.
 */
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
let idp: TestIdp;
let t: TestApp;
let admin: string;
let fleetId: string;

const accounts = [
  { sub: 'ada', email: 'ada@fleetco.example', name: 'Ada Ops', groups: ['fleetco-ops'] },
  { sub: 'bob', email: 'bob@fleetco.example', name: 'Bob Nobody', groups: ['visitors'] },
  { sub: 'cyd', email: 'cyd@fleetco.example', name: 'Cyd Two-Fleets', groups: ['fleetco-ops', 'second-fleet'] },
  { sub: 'dee', email: 'dee@fleetco.example', name: 'Dee Short', groups: ['short-lived'] },
];

beforeAll(async () => {
  idp = await startTestIdp(accounts, 'http://localhost:8080/auth/oidc/callback');
  t = await buildTestApp({ env: idp.env(), clock });
  ({ token: admin, fleetId } = await t.newFleet());
  const rule = await t.call(admin, 'POST', '/sign-in-rules', {
    claim: 'groups',
    equals: 'fleetco-ops',
    scopes: ['credentials:read', 'credentials:reveal', 'audit:read'],
  });
  expect(rule.statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

async function signedIn(sub: string) {
  idp.signInAs(sub);
  const flow = await consoleSignIn(t);
  expect(flow.callback.statusCode, flow.callback.body).toBe(302);
  return flow;
}

function expectRefusalPage(res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number, text: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers.location).toBeUndefined();
  expect(String(res.headers['content-type'])).toMatch(/^text\/html/);
  expect(String(res.headers['content-security-policy'])).toContain("default-src 'none'");
  expect(res.body).toContain('Sign-in refused');
  expect(res.body).toContain(text);
  expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
}

describe('console sign-in (authorization code + PKCE through the provider)', () => {
  it('signs a person in whose group matches a rule: a person token of the fleet with the rule\u2019s scopes', async () => {
    const flow = await signedIn('ada');
    const back = new URL(String(flow.callback.headers.location));
    expect(`${back.origin}${back.pathname}`).toBe(flow.redirectUri);
    expect(back.searchParams.get('state')).toBe(flow.state);
    const res = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', fleet_id: fleetId, scope: 'credentials:read credentials:reveal audit:read' });
    expect(body.person).toMatchObject({ email: 'ada@fleetco.example', name: 'Ada Ops' });
    expect((await t.call(body.access_token, 'GET', '/credentials')).statusCode).toBe(200);
  });

  it('the person\u2019s reveal is in the audit trail under actor type person and their email', async () => {
    const created = await t.call(admin, 'POST', '/niu/credentials', niuExample);
    expect(created.statusCode).toBe(201);
    const flow = await signedIn('ada');
    const token = (await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri })).json();
    const reveal = await t.call(token.access_token, 'GET', `/niu/credentials/${created.json().id}/secrets`);
    expect(reveal.statusCode).toBe(200);
    const audit = await t.call(admin, 'GET', '/audit?action=credential.revealed');
    expect(audit.json().items[0]).toMatchObject({
      actor: { type: 'person', id: token.person.id, label: 'ada@fleetco.example' },
      target: { id: created.json().id },
    });
    const signIns = await t.call(admin, 'GET', `/audit?action=person.signed_in&actor_id=${token.person.id}`);
    expect(signIns.json().items.length).toBeGreaterThanOrEqual(1);
  });

  it('a one-time code is single use: the second exchange is invalid_grant', async () => {
    const flow = await signedIn('ada');
    const params = { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri };
    expect((await exchangeCode(t, params)).statusCode).toBe(200);
    const again = await exchangeCode(t, params);
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a one-time code expires after 60 s', async () => {
    const flow = await signedIn('ada');
    offsetMs += 61_000;
    const res = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri });
    expect(res.json()).toEqual({ error: 'invalid_grant', error_description: 'the code is unknown, used or expired' });
  });

  it('a code is bound to the PKCE verifier: another verifier is refused and spends the code', async () => {
    const flow = await signedIn('ada');
    const stolen = await exchangeCode(t, { code: flow.code!, verifier: pkcePair().verifier, redirectUri: flow.redirectUri });
    expect(stolen.json()).toMatchObject({ error: 'invalid_grant' });
    const owner = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri });
    expect(owner.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('a code whose person lost their last rule since the callback is invalid_grant', async () => {
    const rule = await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'short-lived' });
    const flow = await signedIn('dee');
    expect((await t.call(admin, 'DELETE', `/sign-in-rules/${rule.json().id}`)).statusCode).toBe(204);
    const res = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri });
    expect(res.json()).toEqual({ error: 'invalid_grant', error_description: 'no sign-in rule of any fleet matches you any more' });
  });

  it('a code is bound to its redirect_uri at the token endpoint', async () => {
    const flow = await signedIn('ada');
    const res = await exchangeCode(t, { code: flow.code!, verifier: flow.verifier, redirectUri: `${flow.redirectUri}other` });
    expect(res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('redirect_uri must match exactly: another host, another path or added parameters answer a page, never a redirect', async () => {
    const { challenge } = pkcePair();
    for (const redirectUri of [
      'https://attacker.example/console/',
      `${t.config.publicUrl}/console/evil`,
      `${t.config.publicUrl}/console/?next=https://attacker.example`,
      `${t.config.publicUrl}/console`,
    ]) {
      const query = new URLSearchParams({
        response_type: 'code',
        client_id: 'fleetvault-console',
        redirect_uri: redirectUri,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
      });
      expectRefusalPage(await t.app.inject({ method: 'GET', url: `/auth/authorize?${query}` }), 400, 'redirect_uri must be exactly');
    }
  });

  it('PKCE is required, S256 only: a request without it returns to the console with invalid_request', async () => {
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'fleetvault-console',
      redirect_uri: `${t.config.publicUrl}/console/`,
      code_challenge: pkcePair().verifier,
      code_challenge_method: 'plain',
      state: 'st',
    });
    const res = await t.app.inject({ method: 'GET', url: `/auth/authorize?${query}` });
    const back = new URL(String(res.headers.location));
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('state')).toBe('st');
  });

  it('a person no rule admits is refused with a clear page, no code, and the refusal counted', async () => {
    idp.signInAs('bob');
    const flow = await consoleSignIn(t);
    expectRefusalPage(flow.callback, 403, 'No sign-in rule of any fleet lets you in');
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/fleetvault_person_sign_in_refusals_total\{reason="no-matching-rule"\} [1-9]/);
    const chain = await t.call(admin, 'GET', '/audit?action=person.signed_in');
    expect(chain.json().items.every((e: { actor: { label: string } }) => e.actor.label !== 'bob@fleetco.example')).toBe(true);
  });

  it('a replayed callback (state already used) is refused', async () => {
    const flow = await signedIn('ada');
    const replay = await t.app.inject({ method: 'GET', url: `${flow.callbackUrl.pathname}${flow.callbackUrl.search}` });
    expectRefusalPage(replay, 400, 'expired or was already used');
  });

  it('a state older than 10 minutes, an unknown state and no state are refused', async () => {
    idp.signInAs('ada');
    const late = await consoleSignIn(t, () => (offsetMs += 601_000));
    expectRefusalPage(late.callback, 400, 'expired or was already used');
    const unknown = await t.app.inject({ method: 'GET', url: '/auth/oidc/callback?state=forged&code=x' });
    expectRefusalPage(unknown, 400, 'expired or was already used');
    expectRefusalPage(await t.app.inject({ method: 'GET', url: '/auth/oidc/callback?code=x' }), 400, 'no valid state');
  });

  it('the provider\u2019s refusal (error=access_denied) ends on a page', async () => {
    idp.signInAs(undefined);
    const flow = await consoleSignIn(t);
    expectRefusalPage(flow.callback, 403, 'The identity provider refused the sign-in (access_denied)');
  });

  it('rules of several fleets: the token endpoint lists them (invalid_request + fleets) and takes `fleet`', async () => {
    const second = await t.newFleet();
    expect((await t.call(second.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'second-fleet' })).statusCode).toBe(201);
    const flow = await signedIn('cyd');
    const params = { code: flow.code!, verifier: flow.verifier, redirectUri: flow.redirectUri };
    const ask = await exchangeCode(t, params);
    expect(ask.statusCode).toBe(400);
    expect(ask.json().error).toBe('invalid_request');
    expect(
      ask
        .json()
        .fleets.map((f: { id: string }) => f.id)
        .sort(),
    ).toEqual([fleetId, second.fleetId].sort());
    // A fleet of none of their rules: the same list again, and the code still unspent.
    const foreign = await exchangeCode(t, { ...params, fleet: (await t.newFleet()).fleetId });
    expect(foreign.json()).toMatchObject({ error: 'invalid_request', error_description: 'no sign-in rule of that fleet matches you' });
    expect(foreign.json().fleets).toHaveLength(2);
    const chosen = await exchangeCode(t, { ...params, fleet: second.fleetId });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json()).toMatchObject({ fleet_id: second.fleetId, scope: 'credentials:read vehicles:read' });
  });
});

describe('person sign-in switched off (no FLEETVAULT_OIDC_ISSUER)', () => {
  it('answers 404 on its routes, null sign-in options, and no person grant', async () => {
    const plain = await buildTestApp();
    try {
      expect((await plain.app.inject({ method: 'GET', url: '/auth/sign-in-options' })).json()).toEqual({ person_sign_in: null });
      expectProblem(await plain.app.inject({ method: 'GET', url: '/auth/authorize' }), 'not-found', 404);
      expectProblem(await plain.app.inject({ method: 'GET', url: '/auth/oidc/callback?state=x' }), 'not-found', 404);
      expectProblem(await plain.app.inject({ method: 'GET', url: '/auth/device' }), 'not-found', 404);
      const device = await plain.app.inject({
        method: 'POST',
        url: '/oauth/device_authorization',
        payload: { client_id: 'fleetvault-cli' },
      });
      expectProblem(device, 'not-found', 404);
      const grant = await plain.app.inject({ method: 'POST', url: '/oauth/token', payload: { grant_type: 'authorization_code' } });
      expect(grant.json().error).toBe('unsupported_grant_type');
    } finally {
      await plain.close();
    }
  });
});
