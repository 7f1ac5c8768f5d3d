import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRows, auditSwitch } from '../helpers/audit-switch.js';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/** The audit trail of docs/design.md §2.6 through the API: every change is an event, fail-closed, chained, per fleet. */
let t: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
const writeScopes = ['credentials:read', 'credentials:write', 'vehicles:read', 'vehicles:write', 'clients:manage', 'audit:read'] as const;

beforeAll(async () => {
  t = await buildTestApp();
  fleet = await t.newFleet([...writeScopes]);
});

afterAll(async () => {
  await t?.close();
});

async function latest(token = fleet.token, query = '') {
  const res = await t.call(token, 'GET', `/audit${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().items as Record<string, unknown>[];
}

describe('audit events of each change', () => {
  let credentialId: string;

  it('a created credential is credential.created, by the calling client, with the request id', async () => {
    const res = await t.call(
      fleet.token,
      'POST',
      '/niu/credentials',
      { ...niuExample, name: 'audited' },
      { 'x-request-id': 'req-create-1' },
    );
    expect(res.statusCode).toBe(201);
    credentialId = res.json().id;
    const [event] = await latest();
    expect(event).toMatchObject({
      fleet_id: fleet.fleetId,
      actor: { type: 'client', id: fleet.clientId },
      action: 'credential.created',
      target: { type: 'credential', id: credentialId, brand: 'niu' },
      request_id: res.headers['x-request-id'],
      client_request_id: 'req-create-1',
      outcome: 'success',
      details: { secret_version: 1 },
    });
    expect(event!.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(event!.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('a rotation names the rotated fields and the new version, never their values', async () => {
    const res = await t.call(fleet.token, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: 'rotated-secret-1' });
    expect(res.statusCode).toBe(200);
    const [event] = await latest();
    expect(event).toMatchObject({ action: 'credential.rotated', details: { secret_version: 2, fields: ['client_secret'] } });
  });

  it('vehicles created, reassigned and deleted are events naming the credential', async () => {
    const other = (await t.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'client2', client_secret: 'x2' })).json().id;
    const vehicle = await t.call(fleet.token, 'POST', '/vehicles', {
      telematics_brand: 'niu',
      telematics_unit_id: 'u-1',
      credentials_id: credentialId,
    });
    expect(vehicle.statusCode).toBe(201);
    const vehicleId = vehicle.json().id;
    expect((await t.call(fleet.token, 'PATCH', `/vehicles/${vehicleId}`, { credentials_id: other })).statusCode).toBe(200);
    expect((await t.call(fleet.token, 'DELETE', `/vehicles/${vehicleId}`)).statusCode).toBe(204);
    const [deleted, updated, created] = await latest();
    expect(created).toMatchObject({
      action: 'vehicle.created',
      target: { type: 'vehicle', id: vehicleId, brand: 'niu' },
      details: { credentials_id: credentialId },
    });
    expect(updated).toMatchObject({ action: 'vehicle.updated', details: { credentials_id: other, previous_credentials_id: credentialId } });
    expect(deleted).toMatchObject({ action: 'vehicle.deleted', details: { credentials_id: other } });
  });

  it('a deleted credential is credential.deleted', async () => {
    expect((await t.call(fleet.token, 'DELETE', `/niu/credentials/${credentialId}`)).statusCode).toBe(204);
    const [event] = await latest();
    expect(event).toMatchObject({ action: 'credential.deleted', target: { id: credentialId }, details: { secret_version: 2 } });
  });

  it('clients created, rotated and deleted, and tokens issued, are events', async () => {
    const created = await t.call(fleet.token, 'POST', '/clients', { name: 'connector', scopes: ['credentials:read'] });
    expect(created.statusCode, created.body).toBe(201);
    const client = created.json();
    const token = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: client.id, client_secret: client.client_secret },
    });
    expect(token.statusCode).toBe(200);
    expect((await t.call(fleet.token, 'POST', `/clients/${client.id}/secret`)).statusCode).toBe(200);
    expect((await t.call(fleet.token, 'DELETE', `/clients/${client.id}`)).statusCode).toBe(204);
    const [deleted, rotated, issued, made] = await latest();
    expect(made).toMatchObject({
      action: 'client.created',
      target: { type: 'client', id: client.id },
      details: { kind: 'secret', scopes: ['credentials:read'] },
    });
    expect(issued).toMatchObject({
      action: 'token.issued',
      actor: { type: 'client', id: client.id },
      details: { grant_type: 'client_credentials', scope: 'credentials:read', expires_in: 900 },
    });
    expect(rotated).toMatchObject({ action: 'client.secret_rotated', actor: { id: fleet.clientId } });
    expect(deleted).toMatchObject({ action: 'client.deleted' });
  });

  it('the chain has no gaps and each event links to the one before it', async () => {
    const rows = await auditRows(t, fleet.fleetId);
    expect(rows.map((r) => Number(r.seq))).toEqual(rows.map((_, i) => i + 1));
    expect(rows[0]!.prev_hash).toBe('A'.repeat(43));
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prev_hash).toBe(rows[i - 1]!.hash);
    const head = await t.call(fleet.token, 'GET', '/audit/head');
    expect(head.json()).toEqual({ fleet_id: fleet.fleetId, seq: rows.length, hash: rows.at(-1)!.hash, at: rows.at(-1)!.at });
  });

  it('a failed request that changed nothing leaves no event', async () => {
    const before = (await auditRows(t, fleet.fleetId)).length;
    expectProblem(await t.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'c' }), 'validation-failed', 422);
    expectProblem(
      await t.call(fleet.token, 'PATCH', '/niu/credentials/01JAAAAAAAAAAAAAAAAAAAAAAA', { client_secret: 'x' }),
      'not-found',
      404,
    );
    expect((await auditRows(t, fleet.fleetId)).length).toBe(before);
  });
});

describe('fail-closed: no event, no change', () => {
  let f: Awaited<ReturnType<TestApp['newFleet']>>;
  let credentialId: string;

  beforeAll(async () => {
    f = await t.newFleet([...writeScopes]);
    credentialId = (await t.call(f.token, 'POST', '/niu/credentials', { ...niuExample, name: 'kept' })).json().id;
    await auditSwitch.off(t);
  });

  afterAll(async () => {
    await auditSwitch.on(t);
  });

  it('a create whose event cannot be written answers 503 and stores nothing', async () => {
    const res = await t.call(f.token, 'POST', '/niu/credentials', {
      ...niuExample,
      name: 'never stored',
      client_secret: 'never-stored-secret',
    });
    const body = expectProblem(res, 'service-unavailable', 503);
    expect(JSON.stringify(body)).not.toContain('never-stored-secret');
    const rows = await t.deps.database.db.selectFrom('credentials').select('id').where('fleet_id', '=', f.fleetId).execute();
    expect(rows.map((r) => r.id)).toEqual([credentialId]);
  });

  it('a rotation whose event cannot be written answers 503 and keeps the old version', async () => {
    expectProblem(
      await t.call(f.token, 'PATCH', `/niu/credentials/${credentialId}`, { client_secret: 'not-rotated' }),
      'service-unavailable',
      503,
    );
    expect((await t.call(f.token, 'GET', `/niu/credentials/${credentialId}`)).json().secret_version).toBe(1);
  });

  it('a delete whose event cannot be written answers 503 and the credential stays', async () => {
    expectProblem(await t.call(f.token, 'DELETE', `/niu/credentials/${credentialId}`), 'service-unavailable', 503);
    expect((await t.call(f.token, 'GET', `/niu/credentials/${credentialId}`)).statusCode).toBe(200);
  });

  it('a token whose event cannot be written is not issued', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: f.clientId, client_secret: f.clientSecret },
    });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(res.body).not.toContain('access_token');
  });
});

describe('GET /audit', () => {
  it('pages newest first with next_cursor, and filters by action, target, actor and time', async () => {
    const f = await t.newFleet([...writeScopes]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await t.call(f.token, 'POST', '/niu/credentials', { client_id: `c${i}`, client_secret: 's' })).json().id);
    const first = await t.call(f.token, 'GET', '/audit?limit=2&action=credential.created');
    expect(first.json().items.map((e: { target: { id: string } }) => e.target.id)).toEqual([ids[4], ids[3]]);
    const second = await t.call(f.token, 'GET', `/audit?limit=2&action=credential.created&cursor=${first.json().next_cursor}`);
    expect(second.json().items.map((e: { target: { id: string } }) => e.target.id)).toEqual([ids[2], ids[1]]);
    const third = await t.call(f.token, 'GET', `/audit?limit=2&action=credential.created&cursor=${second.json().next_cursor}`);
    expect(third.json()).toMatchObject({ next_cursor: null, items: [{ target: { id: ids[0] } }] });

    expect((await latest(f.token, `?target_id=${ids[2]}`)).map((e) => e.action)).toEqual(['credential.created']);
    expect((await latest(f.token, `?actor_id=${f.clientId}&action=token.issued`)).length).toBe(1);
    expect(await latest(f.token, '?since=2999-01-01T00:00:00Z')).toEqual([]);
    expect((await latest(f.token, '?until=2999-01-01T00:00:00Z&action=credential.created')).length).toBe(5);
  });

  it.each([
    ['?limit=0', '/query/limit'],
    ['?limit=201', '/query/limit'],
    ['?action=credential.stolen', '/query/action'],
    ['?since=yesterday', '/query/since'],
    ['?until=2026-13-01T00:00:00Z', '/query/until'],
    ['?cursor=not-a-cursor', '/query/cursor'],
    [`?cursor=${Buffer.from('[0.5]').toString('base64url')}`, '/query/cursor'],
    [`?cursor=${Buffer.from('[1e400]').toString('base64url')}`, '/query/cursor'],
    ['?fleet_id=01JAAAAAAAAAAAAAAAAAAAAAAA', '/query/fleet_id'],
  ])('%s is 422 pointing at %s', async (query, pointer) => {
    const body = expectProblem(await t.call(fleet.token, 'GET', `/audit${query}`), 'validation-failed', 422);
    expect((body.errors as { pointer: string }[]).map((e) => e.pointer)).toContain(pointer);
  });

  it('never shows another fleet\u2019s events, and needs audit:read', async () => {
    const other = await t.newFleet([...writeScopes]);
    const secretId = (await t.call(other.token, 'POST', '/niu/credentials', { client_id: 'theirs', client_secret: 's' })).json().id;
    const mine = await latest(fleet.token, `?target_id=${secretId}`);
    expect(mine).toEqual([]);
    const all = JSON.stringify(await latest(fleet.token, '?limit=200'));
    expect(all).not.toContain(other.fleetId);
    const reader = await t.tokenFor(fleet.fleetId, ['credentials:read']);
    expectProblem(await t.call(reader, 'GET', '/audit'), 'insufficient-scope', 403);
    expectProblem(await t.call(reader, 'GET', '/audit/head'), 'insufficient-scope', 403);
  });
});

describe('no secret in the audit trail', () => {
  it('holds no secret, ciphertext, client secret or token', async () => {
    const f = await t.newFleet([...writeScopes]);
    const secret = 'audit-scan-secret-4711';
    const id = (await t.call(f.token, 'POST', '/niu/credentials', { client_id: 'scan', client_secret: secret })).json().id;
    await t.call(f.token, 'PATCH', `/niu/credentials/${id}`, { client_secret: `${secret}-rotated` });
    const client = (await t.call(f.token, 'POST', '/clients', { name: 'scan', scopes: ['credentials:read'] })).json();
    const rows = await t.deps.database.db.selectFrom('audit_events').selectAll().execute();
    const sealed = await t.deps.database.db
      .selectFrom('credentials')
      .select('sealed_secrets')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const dump = JSON.stringify(rows);
    for (const needle of [
      secret,
      client.client_secret,
      f.clientSecret,
      f.token,
      f.token.split('.')[2]!,
      sealed.sealed_secrets.toString('base64'),
    ]) {
      expect(dump).not.toContain(needle);
    }
  });
});
