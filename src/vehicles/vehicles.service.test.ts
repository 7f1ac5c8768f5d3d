import { describe, expect, it } from 'vitest';
import { recordingAudit, stubStore } from '../../test/helpers/stub-store.js';
import { ulidGenerator } from '../core/clock.js';
import { cliContext } from '../core/context.js';
import { AppError } from '../core/app-error.js';
import { createVehicleService } from './vehicles.service.js';

/** Vehicle rules on stub repositories: no app, no database. */
const clock = { now: () => new Date('2026-11-23T10:00:00.000Z') };
const context = cliContext('01HZX0000000000000000FLEET');

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('vehicle rules', () => {
  it('an empty PATCH is a validation failure naming the fields, before any read', async () => {
    const store = stubStore({});
    const service = createVehicleService({ store, clock, ids: ulidGenerator(clock), audit: recordingAudit().audit });
    const error = await refusal(service.update(context, '01HZX0000000000000VEHICLE1', {}));
    expect(error.code).toBe('validation-failed');
    expect(error.extensions.errors).toEqual([{ pointer: '', detail: 'give at least one of: credentials_id, vin, name' }]);
  });

  it('refuses an unknown telematics brand at /telematics_brand, and a credential of another brand at /credentials_id', async () => {
    const store = stubStore({ vehicles: { credentialOfBrand: async () => false } });
    const service = createVehicleService({ store, clock, ids: ulidGenerator(clock), audit: recordingAudit().audit });
    const input = { telematics_brand: 'zeppelin', telematics_unit_id: 'u1', credentials_id: '01HZX00000000000000000CRED' };
    const unknown = await refusal(service.create(context, input));
    expect(unknown.extensions.errors).toEqual([{ pointer: '/telematics_brand', detail: 'is not a known brand (see GET /brands)' }]);
    const mismatch = await refusal(service.create(context, { ...input, telematics_brand: 'niu' }));
    expect(mismatch.extensions.errors).toEqual([{ pointer: '/credentials_id', detail: 'must name a niu credential of this fleet' }]);
    expect(store.transactions()).toBe(1);
  });
});
