import { createHmac, generateKeyPairSync, type KeyObject, createPrivateKey, sign } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { expect, it } from 'vitest';
import { allScopes, type Scope } from '../../src/core/scopes.js';
import { expectProblem, type TestApp } from './test-app.js';

/** One route under test: `path` has its resource ids filled in (ids of the victim fleet). */
export interface MatrixRoute {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The OpenAPI path template (`/{brand}/credentials/{id}`), to prove every protected route is covered. */
  template: string;
  path: string;
  scope: Scope;
  /** Further scopes any one of which admits the caller as `scope` does (`GET /events`: credentials:read or audit:read). */
  orScopes?: Scope[];
  /** A body that passes validation, so the cross-fleet case reaches the lookup. */
  body?: unknown;
  /** True when the path names one of the victim fleet's resources: another fleet's token gets 404. */
  ownsResource?: boolean;
  /**
   * How the route answers a client of the victim fleet restricted away from its resources
   * (docs/grants.md), as another fleet's client would be answered: `not-found` (404), `left-out`
   * (200, a list without them), `create` (404 for a brand outside, 403 for an id restriction),
   * `invalid-reference` (422, the body names a credential the caller cannot see). Every route
   * touching credentials or vehicles must say (the coverage test checks).
   */
  outsideGrant?: 'not-found' | 'left-out' | 'create' | 'invalid-reference';
}

/** What the matrix needs from the test: the app and a victim fleet with a live admin client. */
export interface MatrixFixture {
  t: TestApp;
  fleetId: string;
  clientId: string;
  /** An admin token of another fleet (every scope). */
  otherFleetToken: string;
  /** A token whose client has been deleted (every scope). */
  deletedClientToken: string;
  /** A person token of the victim fleet (every scope a rule may grant) whose sign-in rule has been deleted (docs/people.md). */
  deletedRulePersonToken: string;
  /** A live person token of another fleet (every scope a rule may grant; docs/sign-in.md). */
  otherFleetPersonToken: string;
  /**
   * Tokens of the victim fleet's restricted clients (every scope they may hold): one restricted to a
   * brand none of the victim's resources has, one to credential ids that are not theirs.
   */
  restricted: { toAnotherBrand: string; toOtherIds: string };
  /** The ids of the victim's resources the routes name: a list seen through a restriction must not hold them. */
  victimIds: string[];
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function jws(header: Record<string, unknown>, claims: Record<string, unknown>, signWith: (input: string) => string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${signWith(input)}`;
}

const es256 = (key: KeyObject) => (input: string) =>
  sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');

/** Access tokens forged with the vault's own key (valid unless a claim says otherwise) and attacks on it. */
function forge(f: MatrixFixture) {
  const { signingKeys, config } = f.t.deps;
  const signingKey = signingKeys.current();
  const vaultKey = createPrivateKey(signingKey.privateKeyPem);
  const header = { alg: 'ES256', typ: 'JWT', kid: signingKey.kid };
  const now = Math.floor(Date.now() / 1000);
  let n = 0;
  const claims = (scopes: readonly Scope[], extra: Record<string, unknown> = {}) => ({
    iss: config.publicUrl,
    aud: config.publicUrl,
    sub: f.clientId,
    fleet: f.fleetId,
    scope: scopes.join(' '),
    iat: now,
    exp: now + 600,
    jti: `matrix-${++n}`,
    ...extra,
  });
  return {
    valid: (scopes: readonly Scope[], extra?: Record<string, unknown>) => jws(header, claims(scopes, extra), es256(vaultKey)),
    otherKey: (scopes: readonly Scope[]) =>
      jws(header, claims(scopes), es256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)),
    algNone: (scopes: readonly Scope[]) => jws({ alg: 'none', typ: 'JWT' }, claims(scopes), () => ''),
    // Algorithm confusion: HS256 keyed with the vault's public key, as a verifier trusting the header would accept.
    hs256WithPublicKey: (scopes: readonly Scope[]) =>
      jws({ alg: 'HS256', typ: 'JWT', kid: signingKey.kid }, claims(scopes), (input) =>
        createHmac('sha256', signingKey.publicKeyPem).update(input).digest('base64url'),
      ),
  };
}

type Expectation = [slug: string, status: number];

/** What a case builds its headers from: forged tokens, the fixture, and now. */
interface CaseKit {
  tokens: ReturnType<typeof forge>;
  f: MatrixFixture;
  now: number;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const all = allScopes;

/**
 * The cases, each a request and the exact problem it must produce. The names registered as tests
 * are derived from this table (`matrixCaseNames`), so a case cannot be added here and never run.
 */
type Case = [
  name: string,
  headers: (kit: CaseKit, route: MatrixRoute) => Record<string, string>,
  expected: Expectation,
  onlyOwned?: boolean,
];
const caseTable: Case[] = [
  ['no token', () => ({}), ['missing-token', 401]],
  ['malformed Authorization header', () => ({ authorization: 'Token abc.def' }), ['invalid-token', 401]],
  ['token signed by another key', ({ tokens }) => bearer(tokens.otherKey(all)), ['invalid-token', 401]],
  ['alg none', ({ tokens }) => bearer(tokens.algNone(all)), ['invalid-token', 401]],
  ['HS256 keyed with the vault\u2019s public key', ({ tokens }) => bearer(tokens.hs256WithPublicKey(all)), ['invalid-token', 401]],
  ['expired token', ({ tokens, now }) => bearer(tokens.valid(all, { iat: now - 1000, exp: now - 100 })), ['invalid-token', 401]],
  [
    'token not yet valid',
    ({ tokens, now }) => bearer(tokens.valid(all, { iat: now + 600, nbf: now + 600, exp: now + 1200 })),
    ['invalid-token', 401],
  ],
  ['wrong iss', ({ tokens }) => bearer(tokens.valid(all, { iss: 'https://evil.example' })), ['invalid-token', 401]],
  ['wrong aud', ({ tokens }) => bearer(tokens.valid(all, { aud: 'https://evil.example' })), ['invalid-token', 401]],
  [
    'missing scope',
    ({ tokens }, route) => bearer(tokens.valid(all.filter((s) => s !== route.scope && !(route.orScopes ?? []).includes(s)))),
    ['insufficient-scope', 403],
  ],
  ['deleted client\u2019s token', ({ f }) => bearer(f.deletedClientToken), ['invalid-token', 401]],
  ['person token whose sign-in rule was deleted', ({ f }) => bearer(f.deletedRulePersonToken), ['invalid-token', 401]],
  // A person token names the rules it was issued for (`rls`): without them nothing could revoke it.
  [
    'person token without rule ids',
    ({ tokens }) => bearer(tokens.valid(all, { sub: 'person:01JPERSON000000000000000000' })),
    ['invalid-token', 401],
  ],
  ['another fleet\u2019s token', ({ f }) => bearer(f.otherFleetToken), ['not-found', 404], true],
  ['another fleet\u2019s person token', ({ f }) => bearer(f.otherFleetPersonToken), ['not-found', 404], true],
];

/** The cases bound to a fixture, and the control headers (a valid token with the route's scope). */
export function matrixCases(f: MatrixFixture) {
  const tokens = forge(f);
  const kit: CaseKit = { tokens, f, now: Math.floor(Date.now() / 1000) };
  const cases = caseTable.map(
    ([name, headers, expected, onlyOwned]) => [name, (route: MatrixRoute) => headers(kit, route), expected, onlyOwned] as const,
  );
  return {
    cases,
    control: (route: MatrixRoute) => bearer(tokens.valid([route.scope])),
    controlWith: (scope: Scope) => bearer(tokens.valid([scope])),
  };
}

function send(t: TestApp, route: MatrixRoute, headers: Record<string, string>): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: route.method,
    url: route.path,
    headers,
    ...(route.body !== undefined && { payload: route.body as object }),
  });
}

/**
 * Registers one test per (case, route): each asserts the exact status and problem type.
 * `fixture` and `routes` are read lazily (they exist only after beforeAll). A control test per
 * route proves a correctly signed token with the route's scope gets past authentication, so
 * the refusals are the checks' doing and not a broken forger. Cases that need a resource of
 * the victim fleet run only on routes that name one.
 */
export function securityMatrix(group: string, routes: () => MatrixRoute[], fixture: () => MatrixFixture, caseNames: readonly string[]) {
  for (const name of caseNames) {
    it(`${group}: ${name}`, async () => {
      const f = fixture();
      const entry = matrixCases(f).cases.find(([n]) => n === name)!;
      const [, headers, [slug, status], onlyOwned] = entry;
      for (const route of routes()) {
        if (onlyOwned && !route.ownsResource) continue;
        const res = await send(f.t, route, headers(route));
        try {
          expectProblem(res, slug, status);
        } catch (error) {
          throw new Error(`${route.method} ${route.path}: ${(error as Error).message}`);
        }
        if (status === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      }
    });
  }
  // Last: it really calls each route, DELETE included.
  it(`${group}: a well-formed token with the route's scope passes authentication (control)`, async () => {
    const f = fixture();
    for (const route of routes()) {
      for (const scope of [route.scope, ...(route.orScopes ?? [])]) {
        const res = await send(f.t, route, matrixCases(f).controlWith(scope));
        expect([401, 403], `${route.method} ${route.path} (${scope}): ${res.body}`).not.toContain(res.statusCode);
      }
    }
  });
}

const restrictedCases = [
  ['a client restricted to another brand', 'toAnotherBrand', ['not-found', 404]],
  ['a client restricted to other credential ids', 'toOtherIds', ['insufficient-scope', 403]],
] as const;

/**
 * Registers one test per kind of restricted client: on every route with `outsideGrant`, the
 * victim's resources are outside its restriction and answer as they would to another fleet.
 */
export function restrictedMatrix(group: string, routes: () => MatrixRoute[], fixture: () => MatrixFixture) {
  for (const [name, which, createExpected] of restrictedCases) {
    it(`${group}: ${name}`, async () => {
      const f = fixture();
      const headers = bearer(f.restricted[which]);
      for (const route of routes()) {
        if (route.outsideGrant === undefined) continue;
        const res = await send(f.t, route, headers);
        try {
          if (route.outsideGrant === 'left-out') {
            expect(res.statusCode).toBe(200);
            for (const id of f.victimIds) expect(res.body).not.toContain(id);
          } else if (route.outsideGrant === 'create') {
            expectProblem(res, createExpected[0], createExpected[1]);
          } else if (route.outsideGrant === 'invalid-reference') {
            const asOtherFleet = expectProblem(await send(f.t, route, bearer(f.otherFleetToken)), 'validation-failed', 422);
            expect(expectProblem(res, 'validation-failed', 422).errors).toEqual(asOtherFleet.errors);
          } else {
            expectProblem(res, 'not-found', 404);
          }
        } catch (error) {
          throw new Error(`${route.method} ${route.path}: ${(error as Error).message}`);
        }
      }
    });
  }
}

/** The case names, to register before the fixture exists: every case of the table. */
export const matrixCaseNames: readonly string[] = caseTable.map(([name]) => name);
