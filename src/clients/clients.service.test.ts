import { describe, expect, it } from 'vitest';
import { recordingAudit, stubStore } from '../../test/helpers/stub-store.js';
import { ulidGenerator } from '../core/clock.js';
import { cliContext } from '../core/context.js';
import { AppError } from '../core/app-error.js';
import type { ClientRow } from './clients.repo.js';
import { createClientService } from './clients.service.js';

/** Client rules (names, scopes a creator may grant) on stub repositories: no app, no database. */
const FLEET = '01HZX0000000000000000FLEET';
const clock = { now: () => new Date('2026-11-23T10:00:00.000Z') };

function setup() {
  const rows: ClientRow[] = [];
  const store = stubStore({
    fleets: { exists: async (id) => id === FLEET },
    clients: { insert: async (row) => void rows.push(row) },
  });
  return {
    rows,
    service: createClientService({
      store,
      clock,
      ids: ulidGenerator(clock),
      secretHashKey: Buffer.alloc(32, 7),
      audit: recordingAudit().audit,
    }),
  };
}

async function refusal(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AppError)) throw new Error(`expected an AppError, got ${String(error)}`);
  return error;
}

describe('client names and scopes', () => {
  it('trims the name, stores only a hash of the secret, and de-duplicates scopes', async () => {
    const { service, rows } = setup();
    const created = await service.createSecretClient(cliContext(FLEET), '  reporting  ', ['vehicles:read', 'vehicles:read']);
    expect(created.view).toMatchObject({ name: 'reporting', scopes: ['vehicles:read'], kind: 'secret' });
    expect(rows[0]!.secret_hash).toHaveLength(32);
    expect(JSON.stringify(rows[0])).not.toContain(created.client_secret);
  });

  it('refuses an empty or over-long name at /name, and unknown scopes at /scopes', async () => {
    const { service } = setup();
    for (const name of ['  ', 'n'.repeat(101)]) {
      const error = await refusal(service.createSecretClient(cliContext(FLEET), name, ['vehicles:read']));
      expect(error.code).toBe('validation-failed');
      expect((error.extensions.errors as { pointer: string }[])[0]!.pointer).toBe('/name');
    }
    const error = await refusal(service.createSecretClient(cliContext(FLEET), 'ok', ['vehicles:fly']));
    expect((error.extensions.errors as { pointer: string }[])[0]!.pointer).toMatch(/^\/scopes/);
  });

  it('never grants a scope the creator lacks (403 insufficient-scope, naming it); an unknown fleet is 404', async () => {
    const { service } = setup();
    const error = await refusal(service.createSecretClient(cliContext(FLEET), 'x', ['vehicles:read', 'clients:manage'], ['vehicles:read']));
    expect(error.code).toBe('insufficient-scope');
    expect(error.extensions).toEqual({ not_held: ['clients:manage'] });
    const noFleet = await refusal(service.createSecretClient(cliContext('01HZX00000000000000NOFLEET'), 'x', ['vehicles:read']));
    expect(noFleet.code).toBe('not-found');
  });
});
