import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../audit/audit-chain.js';
import type { AuditAction } from '../audit/audit-actions.js';
import { type EventView, isVisible } from './event-filter.js';

const NIU_ID = '01JF0000000000000000000001';
const TESLA_ID = '01JF0000000000000000000002';

function event(action: AuditAction, target: AuditEvent['target']): AuditEvent {
  return {
    id: '01JF00000000000000000000EV',
    fleet_id: '01JF00000000000000000FLEET',
    seq: 1,
    at: '2026-12-06T00:00:00.000Z',
    actor: { type: 'client', id: 'c' },
    action,
    target,
    request_id: null,
    outcome: 'success',
    details: {},
    prev_hash: 'A'.repeat(43),
    hash: 'B'.repeat(43),
  };
}

const niuRotated = event('credential.rotated', { type: 'credential', id: NIU_ID, brand: 'niu' });
const teslaDeleted = event('credential.deleted', { type: 'credential', id: TESLA_ID, brand: 'tesla' });
const refusedCreate = event('credential.verified', { type: 'credential', id: null, brand: 'niu' });
const vehicleCreated = event('vehicle.created', { type: 'vehicle', id: '01JF00000000000000000000VH' });
const tokenIssued = event('token.issued', { type: 'client', id: 'c' });
const all = [niuRotated, teslaDeleted, refusedCreate, vehicleCreated, tokenIssued];

const view = (partial: Partial<EventView>): EventView => ({
  credentialsOnly: false,
  restriction: undefined,
  actions: undefined,
  ...partial,
});
const visible = (v: EventView) => all.filter((e) => isVisible(e, v));

describe('isVisible (docs/events.md "Who sees what")', () => {
  it('audit:read sees every event; credentials:read alone only credential.*', () => {
    expect(visible(view({}))).toEqual(all);
    expect(visible(view({ credentialsOnly: true }))).toEqual([niuRotated, teslaDeleted, refusedCreate]);
  });

  it('a brand restriction admits only credential events of its brands', () => {
    expect(visible(view({ credentialsOnly: true, restriction: { brands: ['niu'] } }))).toEqual([niuRotated, refusedCreate]);
    // Even were it not credentialsOnly, nothing but credentials would pass a restriction.
    expect(visible(view({ restriction: { brands: ['tesla'] } }))).toEqual([teslaDeleted]);
  });

  it('an id restriction admits only its credentials, never an event naming none', () => {
    expect(visible(view({ credentialsOnly: true, restriction: { credentialIds: [NIU_ID] } }))).toEqual([niuRotated]);
  });

  it('brands and ids together: a credential must match both', () => {
    expect(visible(view({ restriction: { brands: ['tesla'], credentialIds: [NIU_ID] } }))).toEqual([]);
    expect(visible(view({ restriction: { brands: ['niu'], credentialIds: [NIU_ID] } }))).toEqual([niuRotated]);
  });

  it('?actions= narrows what the grant allows', () => {
    expect(visible(view({ actions: new Set(['credential.deleted', 'vehicle.created'] as const) }))).toEqual([teslaDeleted, vehicleCreated]);
    expect(visible(view({ credentialsOnly: true, actions: new Set(['vehicle.created'] as const) }))).toEqual([]);
  });
});
