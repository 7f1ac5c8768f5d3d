import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { freePort, startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { consoleSignIn } from '../helpers/sign-in-flow.js';

/**
 * Discovery is lazy (docs/sign-in.md): the vault starts while its provider is away, a sign-in then says the
 * provider does not answer (after its retries), and the first sign-in once the provider is up discovers it.
 */
let t: TestApp | undefined;
let idp: TestIdp | undefined;

afterAll(async () => {
  await t?.close();
  await idp?.close();
});

describe('provider discovery', () => {
  it('starts without the provider, answers 503 on a page while it is away, and signs in once it is up', async () => {
    const port = await freePort();
    t = await buildTestApp({
      env: {
        FLEETVAULT_OIDC_ISSUER: `http://127.0.0.1:${port}`,
        FLEETVAULT_OIDC_CLIENT_ID: 'fleetvault',
        FLEETVAULT_OIDC_CLIENT_SECRET: 'idp-client-secret-for-tests',
        FLEETVAULT_OIDC_SCOPES: 'openid email profile groups',
      },
    });
    const { token } = await t.newFleet();
    expect((await t.call(token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'ops' })).statusCode).toBe(201);
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: 'fleetvault-console',
      redirect_uri: `${t.config.publicUrl}/console/`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 's',
    });
    const away = await t.app.inject({ method: 'GET', url: `/auth/authorize?${query}` });
    expect(away.statusCode).toBe(503);
    expect(away.body).toContain('The identity provider did not answer');

    idp = await startTestIdp(
      [{ sub: 'ada', email: 'ada@fleetco.example', name: 'Ada', groups: ['ops'] }],
      `${t.config.publicUrl}/auth/oidc/callback`,
      port,
    );
    const flow = await consoleSignIn(t);
    expect(flow.callback.statusCode).toBe(302);
    expect(flow.code).toBeDefined();
  });
});

describe('FLEETVAULT_OIDC_* settings', () => {
  const base = { FLEETVAULT_OIDC_ISSUER: 'https://sso.example.com/realms/fleetco', FLEETVAULT_OIDC_CLIENT_ID: 'fleetvault' };

  it('are off without an issuer, and default to the scopes openid email profile and the issuer\u2019s host as name', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    expect(loadConfig(base).oidc).toEqual({
      issuer: base.FLEETVAULT_OIDC_ISSUER,
      clientId: 'fleetvault',
      clientSecret: undefined,
      scopes: 'openid email profile',
      displayName: 'sso.example.com',
    });
  });

  it('refuse plain http off loopback, a missing client id, two secrets, and scopes without openid', () => {
    expect(() => loadConfig({ ...base, FLEETVAULT_OIDC_ISSUER: 'http://sso.example.com' })).toThrow(/must be https/);
    expect(loadConfig({ ...base, FLEETVAULT_OIDC_ISSUER: 'http://127.0.0.1:9000' }).oidc?.issuer).toBe('http://127.0.0.1:9000');
    expect(() => loadConfig({ FLEETVAULT_OIDC_ISSUER: base.FLEETVAULT_OIDC_ISSUER })).toThrow(/FLEETVAULT_OIDC_CLIENT_ID: required/);
    expect(() => loadConfig({ ...base, FLEETVAULT_OIDC_CLIENT_SECRET: 'a', FLEETVAULT_OIDC_CLIENT_SECRET_FILE: '/x' })).toThrow(/not both/);
    expect(() => loadConfig({ ...base, FLEETVAULT_OIDC_SCOPES: 'email profile' })).toThrow(/must include openid/);
    expect(() => loadConfig({ ...base, FLEETVAULT_OIDC_CLIENT_SECRET_FILE: '/nonexistent/secret' })).toThrow(
      /FLEETVAULT_OIDC_CLIENT_SECRET_FILE/,
    );
  });
});
