import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';
import { type IdTokenTamper, startTestIdp, type TestIdp } from '../helpers/test-idp.js';
import { consoleSignIn } from '../helpers/sign-in-flow.js';

/**
 * The ID token checks of OIDC Core §3.1.3.7, done by openid-client and wired by src/sign-in/relying-party.ts: the
 * real provider's token response is rewritten (and re-signed with its own key unless said otherwise) so each check
 * meets the one claim it must refuse.
 */
let idp: TestIdp;
let t: TestApp;

beforeAll(async () => {
  idp = await startTestIdp(
    [{ sub: 'ada', email: 'ada@fleetco.example', name: 'Ada', groups: ['ops'] }],
    'http://localhost:8080/auth/oidc/callback',
  );
  t = await buildTestApp({ env: idp.env() });
  const { token } = await t.newFleet();
  expect((await t.call(token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'ops' })).statusCode).toBe(201);
});
afterAll(async () => {
  await t?.close();
  await idp?.close();
});

async function signInWith(rewrite: IdTokenTamper | undefined) {
  idp.tamper(rewrite);
  try {
    return (await consoleSignIn(t)).callback;
  } finally {
    idp.tamper(undefined);
  }
}

async function expectRejected(rewrite: IdTokenTamper) {
  const res = await signInWith(rewrite);
  expect(res.statusCode, res.body).toBe(403);
  expect(res.headers.location).toBeUndefined();
  expect(res.body).toContain('The identity provider\u2019s answer was refused');
}

const now = () => Math.floor(Date.now() / 1000);

describe('ID token checks (OIDC Core §3.1.3.7)', () => {
  it('accepts the provider\u2019s token as issued, and one re-signed unchanged (the tampering itself breaks nothing)', async () => {
    expect((await signInWith(undefined)).statusCode).toBe(302);
    expect((await signInWith((claims) => ({ claims }))).statusCode).toBe(302);
  });

  it('refuses an ID token from another issuer (iss)', async () => {
    await expectRejected((claims) => ({ claims: { ...claims, iss: 'https://other-idp.example' } }));
  });

  it('refuses an ID token for another audience (aud)', async () => {
    await expectRejected((claims) => ({ claims: { ...claims, aud: 'another-client' } }));
  });

  it('refuses an ID token whose authorized party is another client (azp)', async () => {
    await expectRejected((claims) => ({ claims: { ...claims, aud: [claims.aud, 'another-client'], azp: 'another-client' } }));
  });

  it('refuses an expired ID token (exp)', async () => {
    await expectRejected((claims) => ({ claims: { ...claims, iat: now() - 7200, exp: now() - 3600 } }));
  });

  it('refuses an ID token without iat', async () => {
    await expectRejected(({ iat: _iat, ...claims }) => ({ claims }));
  });

  it('refuses a replayed nonce: the nonce of an earlier sign-in in a later one', async () => {
    let earlier: unknown;
    expect((await signInWith((claims) => ((earlier = claims.nonce), { claims }))).statusCode).toBe(302);
    await expectRejected((claims) => ({ claims: { ...claims, nonce: earlier } }));
  });

  it('refuses a signature by a key the provider never published (same key id)', async () => {
    await expectRejected((claims) => ({ claims, key: 'foreign' }));
  });

  it('follows a key rotation: a token signed by a newly published key is accepted (the JWKS is fetched again)', async () => {
    const unpublished = await signInWith((claims) => ({ claims, key: 'rotated' }));
    expect(unpublished.statusCode).toBe(403);
    idp.rotateKey();
    // The JWKS is re-fetched for an unknown key at most once a minute (oauth4webapi's cooldown, against a flood of
    // unknown key ids): the whole
    // process (provider, vault, client library) moves 61 s on, as if the rotation happened a while later.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 61_000);
      const rotated = await signInWith((claims) => ({ claims, key: 'rotated' }));
      expect(rotated.statusCode, rotated.body).toBe(302);
    } finally {
      vi.useRealTimers();
    }
  });
});
