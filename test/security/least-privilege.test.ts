import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliContext } from '../../src/core/context.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/** Least privilege by default. */
describe('least privilege', () => {
  let t: TestApp;
  let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
  let credentialId: string;
  let vehicleId: string;
  beforeAll(async () => {
    t = await buildTestApp();
    fleet = await t.newFleet();
    credentialId = (await t.call(fleet.token, 'POST', '/niu/credentials', niuExample)).json().id;
    vehicleId = (
      await t.call(fleet.token, 'POST', '/vehicles', { telematics_brand: 'niu', telematics_unit_id: 'u-1', credentials_id: credentialId })
    ).json().id;
  });
  afterAll(() => t.close());

  it('a blocked DELETE tells a caller without vehicles:read the vehicle_count, not the vehicle_ids', async () => {
    const writer = await t.tokenFor(fleet.fleetId, ['credentials:write']);
    const res = await t.call(writer, 'DELETE', `/niu/credentials/${credentialId}`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ type: '/problems/conflicting-resource', status: 409, vehicle_count: 1 });
    expect(res.json()).not.toHaveProperty('vehicle_ids');
    expect(res.body).not.toContain(vehicleId);
  });

  it('a caller with vehicles:read gets the vehicle_ids too', async () => {
    const reader = await t.tokenFor(fleet.fleetId, ['credentials:write', 'vehicles:read']);
    const res = await t.call(reader, 'DELETE', `/niu/credentials/${credentialId}`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ vehicle_count: 1, vehicle_ids: [vehicleId] });
  });

  it('a client created without scopes gets read scopes only: no reveal, exchange or clients:manage', async () => {
    const created = await t.deps.services.clients.createSecretClient(cliContext(fleet.fleetId), 'no scopes given');
    expect(created.scopes).toEqual(['credentials:read', 'vehicles:read']);
  });
});
