import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';
import { claimsOf } from '../helpers/grants.js';
import { identity, personToken } from '../helpers/people.js';
import { SignInRefused } from '../../src/people/person-sign-in.service.js';
import { cliFleetlessContext } from '../../src/core/context.js';

/** Sign-in rules, people and person tokens (docs/design.md §2.11), through the API and the sign-in service. */
let t: TestApp;
let admin: string;
let fleetId: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token: admin, fleetId } = await t.newFleet());
});
afterAll(() => t?.close());

describe('POST /sign-in-rules', () => {
  it('creates a rule (201, Location) that GET lists, and records sign_in_rule.created', async () => {
    const res = await t.call(admin, 'POST', '/sign-in-rules', {
      claim: 'groups',
      equals: 'fleetco-ops',
      scopes: ['credentials:read', 'credentials:reveal'],
    });
    expect(res.statusCode).toBe(201);
    const rule = res.json();
    expect(rule).toMatchObject({
      fleet_id: fleetId,
      claim: 'groups',
      equals: 'fleetco-ops',
      scopes: ['credentials:read', 'credentials:reveal'],
      restrict: null,
    });
    expect(res.headers.location).toBe(`/sign-in-rules/${rule.id}`);
    const list = (await t.call(admin, 'GET', '/sign-in-rules')).json();
    expect(list.items.map((r: { id: string }) => r.id)).toContain(rule.id);
    const events = (await t.call(admin, 'GET', `/audit?action=sign_in_rule.created&target_id=${rule.id}`)).json().items;
    expect(events[0]).toMatchObject({
      target: { type: 'sign_in_rule', id: rule.id },
      details: { claim: 'groups', equals: 'fleetco-ops', scopes: ['credentials:read', 'credentials:reveal'] },
    });
  });

  it('grants read only when no scopes are named: reveal, exchange and clients:manage only by name', async () => {
    const res = await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'readers' });
    expect(res.json().scopes).toEqual(['credentials:read', 'vehicles:read']);
  });

  it('refuses a bad claim name, an empty value and an unknown scope (422 validation-failed)', async () => {
    const badClaim = expectProblem(await t.call(admin, 'POST', '/sign-in-rules', { claim: 'a b', equals: 'x' }), 'validation-failed', 422);
    expect(badClaim.errors).toEqual([expect.objectContaining({ pointer: '/claim' })]);
    const empty = expectProblem(await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: '' }), 'validation-failed', 422);
    expect(empty.errors).toEqual([expect.objectContaining({ pointer: '/equals' })]);
    expectProblem(
      await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'x', scopes: ['root'] }),
      'validation-failed',
      422,
    );
    expectProblem(await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'x', extra: 1 }), 'validation-failed', 422);
  });

  it('refuses a restricted rule holding clients:manage (422), as for clients', async () => {
    const res = await t.call(admin, 'POST', '/sign-in-rules', {
      claim: 'groups',
      equals: 'x',
      scopes: ['credentials:read', 'clients:manage'],
      restrict: { brands: ['niu'] },
    });
    expectProblem(res, 'validation-failed', 422);
  });

  it('refuses a rule granting scopes the caller lacks (403 insufficient-scope)', async () => {
    const manager = await t.tokenFor(fleetId, ['clients:manage']);
    const body = expectProblem(
      await t.call(manager, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'x', scopes: ['credentials:reveal'] }),
      'insufficient-scope',
      403,
    );
    expect(body.not_held).toEqual(['credentials:reveal']);
  });
});

describe('DELETE /sign-in-rules/{id}', () => {
  it('deletes the rule (204, sign_in_rule.deleted); again, or from another fleet, 404', async () => {
    const rule = (await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'gone' })).json();
    const other = await t.newFleet();
    expectProblem(await t.call(other.token, 'DELETE', `/sign-in-rules/${rule.id}`), 'not-found', 404);
    expect((await t.call(admin, 'DELETE', `/sign-in-rules/${rule.id}`)).statusCode).toBe(204);
    expectProblem(await t.call(admin, 'DELETE', `/sign-in-rules/${rule.id}`), 'not-found', 404);
    const events = (await t.call(admin, 'GET', `/audit?action=sign_in_rule.deleted&target_id=${rule.id}`)).json().items;
    expect(events).toHaveLength(1);
    expect((await t.call(admin, 'GET', '/sign-in-rules')).json().items.map((r: { id: string }) => r.id)).not.toContain(rule.id);
  });
});

describe('person tokens', () => {
  it('carry sub person:<id>, the fleet, the rules\u2019 scopes and ids, and the person\u2019s lifetime (3600 s)', async () => {
    const { token, ruleId, personId } = await personToken(
      t,
      admin,
      { equals: 'ops-a', scopes: ['credentials:read'] },
      identity('ana', { groups: ['ops-a'] }),
    );
    const claims = claimsOf(token);
    expect(claims).toMatchObject({
      sub: `person:${personId}`,
      fleet: fleetId,
      scope: 'credentials:read',
      rls: [ruleId],
      lbl: 'ana@fleetco.example',
    });
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
    expect((await t.call(token, 'GET', '/credentials')).statusCode).toBe(200);
    expectProblem(await t.call(token, 'GET', '/vehicles'), 'insufficient-scope', 403);
  });

  it('name the person in the audit trail: person.signed_in, then a reveal under their id and email', async () => {
    const credential = (await t.call(admin, 'POST', '/niu/credentials', { ...niuExample, name: 'for ben' })).json();
    const { token, personId, ruleId } = await personToken(
      t,
      admin,
      { equals: 'ops-b', scopes: ['credentials:read', 'credentials:reveal'] },
      identity('ben', { groups: ['ops-b'] }),
    );
    expect((await t.call(token, 'GET', `/niu/credentials/${credential.id}/secrets`)).statusCode).toBe(200);
    const revealed = (await t.call(admin, 'GET', `/audit?action=credential.revealed&target_id=${credential.id}`)).json().items[0];
    expect(revealed.actor).toEqual({ type: 'person', id: personId, label: 'ben@fleetco.example' });
    const signedIn = (await t.call(admin, 'GET', `/audit?action=person.signed_in&actor_id=${personId}`)).json().items[0];
    expect(signedIn).toMatchObject({
      target: { type: 'person', id: personId },
      details: { rule_ids: [ruleId], scope: 'credentials:read credentials:reveal' },
    });
    // The chain still verifies with the labelled events in it.
    const [report] = await t.deps.services.audit.verify({ fleetId });
    expect(report!.problem).toBeUndefined();
  });

  it('hold the union of the matching rules\u2019 scopes; a restricted rule narrows the token (docs/grants.md)', async () => {
    await t.call(admin, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'union-1', scopes: ['vehicles:read', 'audit:read'] });
    const { token } = await personToken(
      t,
      admin,
      { equals: 'union-2', scopes: ['credentials:read'], restrict: { brands: ['tesla'] } },
      identity('cem', { groups: ['union-1', 'union-2'] }),
    );
    const claims = claimsOf(token);
    expect(claims.scope).toBe('credentials:read vehicles:read');
    expect(claims.rst).toEqual({ b: ['tesla'] });
  });

  it('are refused when no rule matches (no token, nothing recorded)', async () => {
    const refused = t.deps.services.personSignIn.signIn(identity('dora', { groups: ['nobody'] }), undefined, null);
    await expect(refused).rejects.toBeInstanceOf(SignInRefused);
    await expect(refused).rejects.toMatchObject({ reason: 'no-matching-rule' });
  });

  it('are refused for a fleet the person\u2019s rules do not match', async () => {
    const other = await t.newFleet();
    await t.call(other.token, 'POST', '/sign-in-rules', { claim: 'groups', equals: 'elsewhere' });
    const who = identity('eve', { groups: ['elsewhere'] });
    expect(await t.deps.services.personSignIn.fleets(who)).toEqual([other.fleetId]);
    await expect(t.deps.services.personSignIn.signIn(who, fleetId, null)).rejects.toMatchObject({ reason: 'fleet-not-matched' });
  });
});

describe('GET /people', () => {
  it('lists the fleet\u2019s people with their sign-ins; another fleet sees none of them', async () => {
    const who = identity('fay', { groups: ['people-list'] });
    const { personId } = await personToken(t, admin, { equals: 'people-list' }, who);
    await t.deps.services.personSignIn.signIn(who, fleetId, null);
    const people = (await t.call(admin, 'GET', '/people?limit=200')).json();
    const fay = people.items.find((p: { id: string }) => p.id === personId);
    expect(fay).toMatchObject({ email: 'fay@fleetco.example', name: 'Person fay', issuer: 'https://idp.fleetco.example', subject: 'fay' });
    const other = await t.newFleet();
    expect((await t.call(other.token, 'GET', '/people')).json()).toEqual({ items: [], next_cursor: null });
  });

  it('pages with limit and cursor; a foreign cursor is 422', async () => {
    const first = (await t.call(admin, 'GET', '/people?limit=1')).json();
    expect(first.items).toHaveLength(1);
    const second = (await t.call(admin, 'GET', `/people?limit=1&cursor=${first.next_cursor}`)).json();
    expect(second.items[0].id > first.items[0].id).toBe(true);
    expectProblem(await t.call(admin, 'GET', '/people?cursor=bm9wZQ'), 'validation-failed', 422);
  });
});

describe('deleting a fleet', () => {
  it('deletes its rules and people links; a person of no other fleet goes, a person of another fleet stays', async () => {
    const doomed = await t.newFleet();
    const kept = await t.newFleet();
    const only = identity('jon', { groups: ['doomed-only'] });
    const both = identity('kim', { groups: ['doomed-only', 'kept-too'] });
    await personToken(t, doomed.token, { equals: 'doomed-only' }, only);
    await t.deps.services.personSignIn.signIn(both, doomed.fleetId, null);
    await personToken(t, kept.token, { equals: 'kept-too' }, both);
    await t.deps.services.fleets.delete(cliFleetlessContext, doomed.fleetId, { purge: false });
    const { people } = t.deps.store.repos;
    expect(await people.findBySubject(only.issuer, only.subject)).toBeUndefined();
    expect(await people.findBySubject(both.issuer, both.subject)).toBeDefined();
    expect(await t.deps.services.personSignIn.fleets(both)).toEqual([kept.fleetId]);
  });
});
