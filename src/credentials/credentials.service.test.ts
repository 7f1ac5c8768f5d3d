import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordingAudit, stubStore } from '../../test/helpers/stub-store.js';
import { ulidGenerator } from '../core/clock.js';
import { cliContext } from '../core/context.js';
import { sodiumReady } from '../crypto/aead.js';
import type { DataKeyRow } from '../crypto/data-keys.repo.js';
import { createKeyring } from '../crypto/keyring.js';
import { fileMasterKey } from '../crypto/master-key-provider.js';
import { AppError } from '../core/app-error.js';
import type { CredentialRow } from './credentials.repo.js';
import { createCredentialChanges } from './credential-changes.js';
import { createCredentialService } from './credentials.service.js';
import { createSealedSecrets } from './sealed-secrets.js';

/** The credential rules (names, the openOBD cap, PATCH fields) on stub repositories: no app, no database. */
const FLEET = '01HZX0000000000000000FLEET';
const clock = { now: () => new Date('2026-11-23T10:00:00.000Z') };

beforeAll(() => sodiumReady());

function setup() {
  const rows = new Map<string, CredentialRow>();
  const calls: string[] = [];
  const dataKey: { row?: DataKeyRow } = {};
  const store = stubStore({
    dataKeys: { active: async () => dataKey.row },
    fleets: { lockForWrite: async (fleetId) => void calls.push(`lock ${fleetId}`) },
    credentials: {
      // As the name index does: a named credential whose name the fleet already holds is not inserted.
      insert: async (row) => {
        const taken =
          row.name_missing === 0 &&
          [...rows.values()].some((r) => r.fleet_id === row.fleet_id && r.name_missing === 0 && r.name_key === row.name_key);
        if (!taken) rows.set(row.id, row);
        return !taken;
      },
      findById: async (fleetId, id) => {
        const row = rows.get(id);
        return row && row.fleet_id === fleetId ? { ...row, vehicle_count: 0 } : undefined;
      },
      countByBrand: async (fleetId, brand) => {
        calls.push('count');
        return [...rows.values()].filter((r) => r.fleet_id === fleetId && r.brand === brand).length;
      },
    },
  });
  const keyring = createKeyring({ masterKeys: [fileMasterKey({ id: 'unit', key: randomBytes(32) })], repos: store.repos });
  dataKey.row = keyring.newWrappedDataKey(FLEET, clock.now().toISOString(), ulidGenerator(clock).next());
  const audit = recordingAudit().audit;
  const changes = createCredentialChanges();
  const service = createCredentialService({
    store,
    secrets: createSealedSecrets({ store, keyring, clock, audit, secretVersionsKept: 10, changes }),
    clock,
    ids: ulidGenerator(clock),
    fingerprint: (text) => text,
    audit,
    changes,
  });
  return { service, rows, calls, store };
}

/** The AppError a call fails with (the test fails if it succeeds or fails otherwise). */
async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

const context = cliContext(FLEET);
const niu = (name: unknown) => ({ name, client_id: `id-${Math.random()}`, client_secret: 'secret' });

describe('credential names', () => {
  it('are trimmed and NFC-normalised; unnamed is allowed', async () => {
    const { service } = setup();
    expect((await service.create(context, 'niu', niu('  Depot Nord  '))).name).toBe('Depot Nord');
    expect((await service.create(context, 'niu', niu('Cafe\u0301'))).name).toBe('Caf\u00e9');
    expect((await service.create(context, 'niu', niu(null))).name).toBeNull();
  });

  it('refuses empty, over-long and control-character names at /name', async () => {
    const { service } = setup();
    for (const [name, detail] of [
      ['   ', 'must not be empty'],
      ['x'.repeat(101), 'must be at most 100 characters'],
      ['tab\there', 'must not contain control characters'],
    ] as const) {
      const error = await refusal(service.create(context, 'niu', niu(name)));
      expect(error.code).toBe('validation-failed');
      expect(error.extensions.errors).toEqual([{ pointer: '/name', detail }]);
    }
  });

  it('clash case-insensitively within the fleet: 409 name-already-exists', async () => {
    const { service } = setup();
    await service.create(context, 'niu', niu('Berlin'));
    expect((await refusal(service.create(context, 'niu', niu('BERLIN')))).code).toBe('name-already-exists');
    expect((await refusal(service.create(context, 'niu', niu(' berlin ')))).code).toBe('name-already-exists');
  });
});

describe('the openOBD cap (Jifeline: five Partner API credentials per partner)', () => {
  const openobd = (i: number) => ({ client_id: `obd-${i}`, cluster_id: '001', client_secret: 's' });

  it('allows five per fleet, counting under the fleet lock, and refuses the sixth with limit-exceeded', async () => {
    const { service, calls } = setup();
    for (let i = 0; i < 5; i++) await service.create(context, 'openobd', openobd(i));
    expect(calls.slice(0, 2)).toEqual([`lock ${FLEET}`, 'count']);
    const error = await refusal(service.create(context, 'openobd', openobd(5)));
    expect(error.code).toBe('limit-exceeded');
    expect(error.extensions).toEqual({ limit: 5 });
  });

  it('does not lock the fleet for a brand without a cap', async () => {
    const { service, calls } = setup();
    await service.create(context, 'niu', niu('uncapped'));
    expect(calls).toEqual([]);
  });
});

describe('PATCH fields', () => {
  it('names each field PATCH cannot change and why, before touching storage', async () => {
    const { service } = setup();
    const error = await refusal(
      service.rotate(context, 'openobd', '01HZX00000000000000000CRED', {
        name: 'x',
        client_id: 'y',
        cluster_id: '002',
        colour: 'red',
        client_secret: 'z',
      }),
    );
    expect(error.code).toBe('validation-failed');
    expect(error.detail).toBe('PATCH only rotates secrets. Rotatable fields for openobd: client_secret, partner_api_key.');
    expect(error.extensions.errors).toEqual([
      { pointer: '/name', detail: 'cannot be changed: PATCH only rotates secrets' },
      {
        pointer: '/client_id',
        detail: 'cannot be changed: a different client_id is a different credential, create it with POST /openobd/credentials',
      },
      { pointer: '/cluster_id', detail: 'is a setting fixed at creation: create a new credential with POST' },
      { pointer: '/colour', detail: 'is not a known field' },
    ]);
  });

  it('refuses an empty PATCH, listing the rotatable fields', async () => {
    const { service } = setup();
    const error = await refusal(service.rotate(context, 'niu', '01HZX00000000000000000CRED', {}));
    expect(error.extensions.errors).toEqual([{ pointer: '', detail: 'give at least one of: client_secret' }]);
  });
});
