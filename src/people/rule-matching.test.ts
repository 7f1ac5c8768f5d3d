import { describe, expect, it } from 'vitest';
import { grantOfRules, ruleMatches, type SignInRule } from './rule-matching.js';

const rule = (id: string, over: Partial<SignInRule> = {}): SignInRule => ({
  id,
  fleetId: 'F',
  claim: 'groups',
  equals: 'ops',
  scopes: ['credentials:read'],
  restriction: undefined,
  ...over,
});

describe('ruleMatches (docs/design.md §2.11)', () => {
  it('matches a string claim, an array claim holding the value and a boolean by its text', () => {
    expect(ruleMatches({ claim: 'groups', equals: 'ops' }, { groups: ['dev', 'ops'] })).toBe(true);
    expect(ruleMatches({ claim: 'hd', equals: 'fleetco.example' }, { hd: 'fleetco.example' })).toBe(true);
    expect(ruleMatches({ claim: 'email_verified', equals: 'true' }, { email_verified: true })).toBe(true);
  });

  it('refuses other values, other types, a missing claim and an inherited property', () => {
    expect(ruleMatches({ claim: 'groups', equals: 'ops' }, { groups: ['operations'] })).toBe(false);
    expect(ruleMatches({ claim: 'groups', equals: 'ops' }, { groups: 'opsx' })).toBe(false);
    expect(ruleMatches({ claim: 'groups', equals: '1' }, { groups: 1 })).toBe(false);
    expect(ruleMatches({ claim: 'groups', equals: 'ops' }, {})).toBe(false);
    expect(ruleMatches({ claim: 'constructor', equals: 'ops' }, {})).toBe(false);
  });

  it('matches a rule on email only when the address is verified', () => {
    const onEmail = { claim: 'email', equals: 'ana@fleetco.example' };
    expect(ruleMatches(onEmail, { email: 'ana@fleetco.example', email_verified: true })).toBe(true);
    expect(ruleMatches(onEmail, { email: 'ana@fleetco.example', email_verified: false })).toBe(false);
    expect(ruleMatches(onEmail, { email: 'ana@fleetco.example' })).toBe(false);
  });
});

describe('grantOfRules', () => {
  it('is the union of the scopes, in the vocabulary order, unrestricted when no rule is restricted', () => {
    const grant = grantOfRules([
      rule('A', { scopes: ['credentials:reveal'] }),
      rule('B', { scopes: ['credentials:read', 'clients:manage'] }),
    ]);
    expect(grant).toEqual({
      scopes: ['credentials:read', 'credentials:reveal', 'clients:manage'],
      restriction: undefined,
      ruleIds: ['A', 'B'],
    });
  });

  it('never widens a restriction: restrictions intersect, and a restricted grant drops clients:manage and audit:read', () => {
    const grant = grantOfRules([
      rule('A', { scopes: ['credentials:read', 'clients:manage', 'audit:read'] }),
      rule('B', { scopes: ['credentials:reveal'], restriction: { brands: ['niu', 'tesla'] } }),
      rule('C', { restriction: { brands: ['niu'] } }),
    ]);
    expect(grant).toEqual({
      scopes: ['credentials:read', 'credentials:reveal'],
      restriction: { brands: ['niu'] },
      ruleIds: ['A', 'B', 'C'],
    });
  });

  it('grants nothing without a rule, or when the restrictions share no brand', () => {
    expect(grantOfRules([])).toBeUndefined();
    expect(
      grantOfRules([rule('A', { restriction: { brands: ['niu'] } }), rule('B', { restriction: { brands: ['tesla'] } })]),
    ).toBeUndefined();
  });
});
