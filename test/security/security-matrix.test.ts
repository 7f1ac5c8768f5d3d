import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MatrixFixture, type MatrixRoute, matrixCaseNames, restrictedMatrix, securityMatrix } from '../helpers/security-matrix.js';
import { restrictedClient } from '../helpers/grants.js';
import { identity, personToken } from '../helpers/people.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';
import { cliContext } from '../../src/core/context.js';
import { allScopes } from '../../src/core/scopes.js';
import { OAUTH2_SCHEME } from '../../src/http/route-types.js';

/**
 * The shared security matrix (docs/development.md) over every route group. A victim
 * fleet holds one resource of each kind; every case hits every route of the group.
 */
let t: TestApp;
let fixture: MatrixFixture;
const ids = { credential: '', vehicle: '', client: '', rule: '', webhook: '', delivery: '' };

beforeAll(async () => {
  t = await buildTestApp();
  const victim = await t.newFleet();
  const other = await t.newFleet();
  const credential = await t.call(victim.token, 'POST', '/niu/credentials', niuExample);
  ids.credential = credential.json().id;
  const vehicle = await t.call(victim.token, 'POST', '/vehicles', {
    telematics_brand: 'niu',
    telematics_unit_id: 'NIU-1',
    credentials_id: ids.credential,
  });
  ids.vehicle = vehicle.json().id;
  // Holds only clients:manage, so the control token (the route's scope alone) may rotate and delete it.
  ids.client = (await t.call(victim.token, 'POST', '/clients', { name: 'victim client', scopes: ['clients:manage'] })).json().id;
  // A literal public (documentation) address: the URL rules need no DNS, and nothing is delivered here.
  ids.webhook = (await t.call(victim.token, 'POST', '/webhooks', { url: 'https://203.0.113.10/hook', events: ['*'] })).json().id;
  // Its own webhook.created event is its first delivery.
  ids.delivery = (await t.call(victim.token, 'GET', `/webhooks/${ids.webhook}/deliveries`)).json().items[0].id;
  const doomed = await t.deps.services.clients.createSecretClient(cliContext(victim.fleetId), 'doomed');
  const doomedToken = (
    await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: doomed.client_id, client_secret: doomed.client_secret },
    })
  ).json().access_token;
  expect((await t.call(victim.token, 'DELETE', `/clients/${doomed.client_id}`)).statusCode).toBe(204);
  // A person of the victim fleet whose rule (granting every scope a rule may hold) is then deleted.
  const doomedPerson = await personToken(
    t,
    victim.token,
    { equals: 'doomed', scopes: [...allScopes] },
    identity('doomed', { groups: ['doomed'] }),
  );
  expect((await t.call(victim.token, 'DELETE', `/sign-in-rules/${doomedPerson.ruleId}`)).statusCode).toBe(204);
  // A live person of the other fleet, with every scope a rule may grant: the victim's resources are not theirs.
  const otherPerson = await personToken(
    t,
    other.token,
    { equals: 'other-ops', scopes: [...allScopes] },
    identity('eve', { groups: ['other-ops'] }),
  );
  // Grants only clients:manage, so the control token (the route's scope alone) may delete it.
  ids.rule = (
    await t.call(victim.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'victim', scopes: ['clients:manage'] })
  ).json().id;
  // Restricted clients of the victim fleet: away from its NIU credential (and so from its vehicle).
  const inside = (await t.call(victim.token, 'POST', '/niu/credentials', { ...niuExample, name: 'inside' })).json().id as string;
  const restricted = {
    toAnotherBrand: (await restrictedClient(t, victim.token, { brands: ['tesla'] })).token,
    toOtherIds: (await restrictedClient(t, victim.token, { credential_ids: [inside] })).token,
  };
  fixture = {
    t,
    fleetId: victim.fleetId,
    clientId: victim.clientId,
    otherFleetToken: other.token,
    deletedClientToken: doomedToken,
    deletedRulePersonToken: doomedPerson.token,
    otherFleetPersonToken: otherPerson.token,
    restricted,
    victimIds: [ids.credential, ids.vehicle],
  };
});
afterAll(() => t?.close());

const groups: Record<string, () => MatrixRoute[]> = {
  credentials: () => [
    {
      method: 'POST',
      template: '/{brand}/credentials',
      path: '/niu/credentials',
      scope: 'credentials:write',
      body: { ...niuExample, name: 'other' },
      outsideGrant: 'create',
    },
    { method: 'GET', template: '/{brand}/credentials', path: '/niu/credentials', scope: 'credentials:read', outsideGrant: 'left-out' },
    { method: 'GET', template: '/credentials', path: '/credentials', scope: 'credentials:read', outsideGrant: 'left-out' },
    {
      method: 'GET',
      template: '/{brand}/credentials/{id}',
      path: `/niu/credentials/${ids.credential}`,
      scope: 'credentials:read',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'PATCH',
      template: '/{brand}/credentials/{id}',
      path: `/niu/credentials/${ids.credential}`,
      scope: 'credentials:write',
      body: { client_secret: 'rotated' },
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'GET',
      template: '/{brand}/credentials/{id}/secrets',
      path: `/niu/credentials/${ids.credential}/secrets`,
      scope: 'credentials:reveal',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'GET',
      template: '/{brand}/credentials/{id}/versions',
      path: `/niu/credentials/${ids.credential}/versions`,
      scope: 'credentials:read',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'POST',
      template: '/{brand}/credentials/{id}/versions/{n}/restore',
      path: `/niu/credentials/${ids.credential}/versions/1/restore`,
      scope: 'credentials:write',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'DELETE',
      template: '/{brand}/credentials/{id}',
      path: `/niu/credentials/${ids.credential}`,
      scope: 'credentials:write',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
  ],
  exchange: () => [
    {
      method: 'POST',
      template: '/{brand}/credentials/{id}/token',
      path: `/niu/credentials/${ids.credential}/token`,
      scope: 'credentials:exchange',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'GET',
      template: '/tesla/credentials/{id}/public-key',
      path: `/tesla/credentials/${ids.credential}/public-key`,
      scope: 'credentials:read',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
  ],
  vehicles: () => [
    {
      method: 'POST',
      template: '/vehicles',
      path: '/vehicles',
      scope: 'vehicles:write',
      body: { telematics_brand: 'niu', telematics_unit_id: 'NIU-2', credentials_id: ids.credential },
      outsideGrant: 'invalid-reference',
    },
    { method: 'GET', template: '/vehicles', path: '/vehicles', scope: 'vehicles:read', outsideGrant: 'left-out' },
    {
      method: 'GET',
      template: '/vehicles/{id}',
      path: `/vehicles/${ids.vehicle}`,
      scope: 'vehicles:read',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'PATCH',
      template: '/vehicles/{id}',
      path: `/vehicles/${ids.vehicle}`,
      scope: 'vehicles:write',
      body: { name: 'renamed' },
      ownsResource: true,
      outsideGrant: 'not-found',
    },
    {
      method: 'DELETE',
      template: '/vehicles/{id}',
      path: `/vehicles/${ids.vehicle}`,
      scope: 'vehicles:write',
      ownsResource: true,
      outsideGrant: 'not-found',
    },
  ],
  clients: () => [
    { method: 'POST', template: '/clients', path: '/clients', scope: 'clients:manage', body: { name: 'new', scopes: ['clients:manage'] } },
    { method: 'GET', template: '/clients', path: '/clients', scope: 'clients:manage' },
    { method: 'GET', template: '/clients/{id}', path: `/clients/${ids.client}`, scope: 'clients:manage', ownsResource: true },
    {
      method: 'POST',
      template: '/clients/{id}/secret',
      path: `/clients/${ids.client}/secret`,
      scope: 'clients:manage',
      ownsResource: true,
    },
    { method: 'DELETE', template: '/clients/{id}', path: `/clients/${ids.client}`, scope: 'clients:manage', ownsResource: true },
  ],
  people: () => [
    {
      method: 'POST',
      template: '/sign-in-rules',
      path: '/sign-in-rules',
      scope: 'clients:manage',
      body: { claim: 'groups', equals: 'new', scopes: ['clients:manage'] },
    },
    { method: 'GET', template: '/sign-in-rules', path: '/sign-in-rules', scope: 'clients:manage' },
    { method: 'DELETE', template: '/sign-in-rules/{id}', path: `/sign-in-rules/${ids.rule}`, scope: 'clients:manage', ownsResource: true },
    { method: 'GET', template: '/people', path: '/people', scope: 'clients:manage' },
  ],
  audit: () => [
    { method: 'GET', template: '/audit', path: '/audit', scope: 'audit:read' },
    { method: 'GET', template: '/audit/head', path: '/audit/head', scope: 'audit:read' },
  ],
  events: () => [
    // The watch stream never ends by itself, and inject waits for the end: a bad ?actions= answers (422) once past
    // authentication, which is what the control case checks. The stream itself: test/events/watch-stream.test.ts.
    {
      method: 'GET',
      template: '/events',
      path: '/events?actions=none.such',
      scope: 'credentials:read',
      orScopes: ['audit:read'],
    },
  ],
  webhooks: () => {
    const path = `/webhooks/${ids.webhook}`;
    const scope = 'webhooks:manage';
    return [
      { method: 'POST', template: '/webhooks', path: '/webhooks', scope, body: { url: 'https://203.0.113.11/hook', events: ['*'] } },
      { method: 'GET', template: '/webhooks', path: '/webhooks', scope },
      { method: 'GET', template: '/webhooks/{id}', path, scope, ownsResource: true },
      { method: 'PATCH', template: '/webhooks/{id}', path, scope, ownsResource: true, body: { description: 'changed' } },
      { method: 'POST', template: '/webhooks/{id}/secret', path: `${path}/secret`, scope, ownsResource: true },
      { method: 'GET', template: '/webhooks/{id}/deliveries', path: `${path}/deliveries`, scope, ownsResource: true },
      {
        method: 'POST',
        template: '/webhooks/{id}/deliveries/{deliveryId}/retry',
        path: `${path}/deliveries/${ids.delivery}/retry`,
        scope,
        ownsResource: true,
      },
      { method: 'DELETE', template: '/webhooks/{id}', path, scope, ownsResource: true },
    ];
  },
};

for (const [group, routes] of Object.entries(groups)) {
  describe(`security matrix: ${group}`, () => {
    restrictedMatrix(group, routes, () => fixture);
    securityMatrix(group, routes, () => fixture, matrixCaseNames);
  });
}

describe('security matrix coverage', () => {
  it('covers every route that needs a bearer token, with the scope the OpenAPI document names (oauth2 scheme)', () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>> };
    // A protected operation names the oauth2 scheme with the scope it needs: `security: [{ oauth2: ['credentials:write'] }]`.
    const protectedOps = Object.entries(spec.paths).flatMap(([path, ops]) =>
      Object.entries(ops).flatMap(([method, op]) =>
        (op.security ?? []).filter((s) => OAUTH2_SCHEME in s).map((s) => [`${method.toUpperCase()} ${path}`, s[OAUTH2_SCHEME]!] as const),
      ),
    );
    // A route admitted by any one of several scopes names one requirement per scope (OpenAPI 3.1 §4.8.30).
    const covered = new Map<string, string[]>(
      Object.values(groups).flatMap((routes) =>
        routes().map((r) => [`${r.method} ${r.template}`, [r.scope, ...(r.orScopes ?? [])]] as [string, string[]]),
      ),
    );
    expect(protectedOps.filter(([op]) => !covered.has(op)).map(([op]) => op)).toEqual([]);
    const named = new Map<string, string[]>();
    for (const [op, scopes] of protectedOps) named.set(op, [...(named.get(op) ?? []), ...scopes]);
    for (const [op, scopes] of named) expect(scopes, op).toEqual(covered.get(op));
    expect(protectedOps.length).toBeGreaterThanOrEqual(21);
  });

  it('has a restricted-client case on every route of the API that touches credentials or vehicles', () => {
    const spec = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);
    const touching = Object.entries(spec.paths).flatMap(([path, ops]) =>
      /\/(credentials|vehicles)(\/|$)/.test(path)
        ? Object.keys(ops)
            .filter((method) => methods.has(method))
            .map((method) => `${method.toUpperCase()} ${path}`)
        : [],
    );
    const withCase = new Set(
      Object.values(groups).flatMap((routes) =>
        routes().flatMap((r) => (r.outsideGrant === undefined ? [] : [`${r.method} ${r.template}`])),
      ),
    );
    expect(touching.filter((op) => !withCase.has(op))).toEqual([]);
    expect(touching.length).toBeGreaterThanOrEqual(16);
  });
});
