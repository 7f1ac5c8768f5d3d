import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { restrictedClient, teslaExample } from '../helpers/grants.js';
import { openSse, type SseBlock } from '../helpers/sse.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/** The watch stream `GET /events` (docs/design.md §2.13, docs/events.md) over real HTTP on loopback. */
let t: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;
let base: string;
const opened: { close(): void }[] = [];

beforeAll(async () => {
  // A poll of a minute: every live event below arrives because the commit woke its fleet's reader, not by the poll
  // (which is for other replicas' writes: watch-replicas.pg.test.ts).
  t = await buildTestApp({
    env: { FLEETVAULT_EVENTS_HEARTBEAT_MS: '150', FLEETVAULT_EVENTS_POLL_MS: '60000', FLEETVAULT_EVENTS_MAX_STREAMS_PER_CLIENT: '3' },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  fleet = await t.newFleet();
});

afterAll(async () => {
  for (const stream of opened) stream.close();
  await t?.close();
});

async function watch(token: string, query = '', headers: Record<string, string> = {}) {
  const stream = await openSse(`${base}/events${query}`, { authorization: `Bearer ${token}`, ...headers });
  opened.push(stream);
  return stream;
}

async function createNiu(name: string, secret = 'niu-secret-value') {
  const res = await t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name, client_secret: secret });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const dataOf = (block: SseBlock) => JSON.parse(block.data!) as Record<string, unknown>;

describe('live events', () => {
  it('a change reaches an open stream as event/id/data, the data being the webhook body\u2019s data', async () => {
    const stream = await watch(fleet.token);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.headers.get('cache-control')).toBe('no-store');
    const id = await createNiu('live');
    const [event] = await stream.events(1);
    expect(event!.event).toBe('credential.created');
    const data = dataOf(event!);
    expect(event!.id).toBe(String(data.seq));
    expect(data).toEqual({
      event_id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      fleet_id: fleet.fleetId,
      seq: expect.any(Number),
      actor: { type: 'client', id: fleet.clientId },
      target: { type: 'credential', id, brand: 'niu' },
      outcome: 'success',
      details: { secret_version: 1 },
    });
    const audit = (await t.call(fleet.token, 'GET', '/audit?limit=1')).json().items[0];
    expect(audit).toMatchObject({ id: data.event_id, seq: data.seq });
    stream.close();
  });

  it('sends a keep-alive comment while nothing happens', async () => {
    const stream = await watch(fleet.token);
    expect(await stream.comment(3000)).toBe('keep-alive');
    stream.close();
  });
});

describe('resuming', () => {
  it('reconnecting with Last-Event-ID receives exactly the missed events, in order, then live ones', async () => {
    const first = await watch(fleet.token);
    const id = await createNiu('resume');
    const [seen] = await first.events(1);
    first.close();
    for (const secret of ['rotated-1', 'rotated-2', 'rotated-3']) {
      expect((await t.call(fleet.token, 'PATCH', `/niu/credentials/${id}`, { client_secret: secret })).statusCode).toBe(200);
    }
    const again = await watch(fleet.token, '', { 'last-event-id': seen!.id! });
    const missed = await again.events(3);
    expect(missed.map((e) => e.event)).toEqual(['credential.rotated', 'credential.rotated', 'credential.rotated']);
    expect(missed.map((e) => Number(e.id))).toEqual([1, 2, 3].map((n) => Number(seen!.id) + n));
    expect(missed.map((e) => dataOf(e).details)).toEqual([2, 3, 4].map((v) => ({ secret_version: v, fields: ['client_secret'] })));
    await t.call(fleet.token, 'DELETE', `/niu/credentials/${id}`);
    const all = await again.events(4);
    expect(all[3]).toMatchObject({ event: 'credential.deleted', id: String(Number(seen!.id) + 4) });
    // Nothing twice: a short wait after the last event brings nothing more.
    await expect(again.events(5, 400)).rejects.toThrow(/did not arrive/);
    again.close();
  });

  it('?after= replays from the trail the same way; a Last-Event-ID wins over it', async () => {
    const head = (await t.call(fleet.token, 'GET', '/audit/head')).json().seq as number;
    await createNiu('after-1');
    await createNiu('after-2');
    const byQuery = await watch(fleet.token, `?after=${head}&actions=credential.created`);
    expect((await byQuery.events(2)).map((e) => Number(e.id))).toEqual([head + 1, head + 2]);
    const byHeader = await watch(fleet.token, '?after=0&actions=credential.created', { 'last-event-id': String(head + 1) });
    expect((await byHeader.events(1)).map((e) => Number(e.id))).toEqual([head + 2]);
    // An empty Last-Event-ID is none (an EventSource that has seen no id): ?after= applies.
    const emptyHeader = await watch(fleet.token, `?after=${head + 1}&actions=credential.created`, { 'last-event-id': '' });
    expect((await emptyHeader.events(1)).map((e) => Number(e.id))).toEqual([head + 2]);
    for (const stream of [byQuery, byHeader, emptyHeader]) stream.close();
  });

  it('a resume point that is not a seq, or beyond the fleet\u2019s latest event, is 422 naming it', async () => {
    for (const [query, headers, pointer] of [
      ['?after=abc', {}, '/query/after'],
      ['?after=-1', {}, '/query/after'],
      ['', { 'last-event-id': '1.5' }, '/headers/last-event-id'],
      ['?after=999999', {}, '/query/after'],
    ] as const) {
      const stream = await watch(fleet.token, query, headers);
      expect(stream.status).toBe(422);
      expect(stream.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(stream.body!)).toMatchObject({ type: '/problems/validation-failed', errors: [{ pointer }] });
    }
  });
});

describe('the switch from replay to live', () => {
  it('streams opened while writes go on receive every seq after their resume point, once each, in order', async () => {
    const token = await t.tokenFor(fleet.fleetId, ['audit:read']);
    const headNow = async () => (await t.call(fleet.token, 'GET', '/audit/head')).json().seq as number;
    let n = 0;
    const writes = (async () => {
      for (let round = 0; round < 8; round++) {
        await Promise.all([0, 1, 2].map(() => t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: `race-${n++}` })));
      }
    })();
    const watched: { after: number; stream: Awaited<ReturnType<typeof watch>> }[] = [];
    for (let i = 0; i < 3; i++) {
      const after = await headNow();
      watched.push({ after, stream: await watch(token, `?after=${after}`) });
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await writes;
    const end = await headNow();
    for (const { after, stream } of watched) {
      const events = await stream.events(end - after);
      expect(events.map((e) => Number(e.id))).toEqual(Array.from({ length: end - after }, (_, i) => after + 1 + i));
      await expect(stream.events(end - after + 1, 300)).rejects.toThrow(/did not arrive/);
      stream.close();
    }
  });
});

describe('filters and who sees what', () => {
  it('?actions= delivers only the named actions', async () => {
    const stream = await watch(fleet.token, '?actions=credential.deleted,vehicle.created');
    const id = await createNiu('filtered');
    await t.call(fleet.token, 'DELETE', `/niu/credentials/${id}`);
    const [event] = await stream.events(1);
    expect(event).toMatchObject({ event: 'credential.deleted' });
    expect(dataOf(event!).target).toMatchObject({ id });
    stream.close();
  });

  it('an unknown action is 422 at /query/actions; a caller without audit:read asking for other actions is 403', async () => {
    for (const query of ['?actions=credential.nope', '?actions=,', '?actions=credential.created,webhook.exploded']) {
      const stream = await watch(fleet.token, query);
      expect(stream.status, query).toBe(422);
      expect(JSON.parse(stream.body!)).toMatchObject({ type: '/problems/validation-failed', errors: [{ pointer: '/query/actions' }] });
    }
    const reader = await t.tokenFor(fleet.fleetId, ['credentials:read']);
    const refused = await watch(reader, '?actions=client.created');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body!)).toMatchObject({ type: '/problems/insufficient-scope', required_scope: 'audit:read' });
  });

  it('credentials:read alone sees credential.* only; audit:read sees everything; neither scope is 403', async () => {
    const reader = await t.tokenFor(fleet.fleetId, ['credentials:read']);
    const auditor = await t.tokenFor(fleet.fleetId, ['audit:read']);
    const credentialsOnly = await watch(reader);
    const everything = await watch(auditor);
    const id = await createNiu('scoped');
    const vehicle = await t.call(fleet.token, 'POST', '/vehicles', {
      name: 'van',
      telematics_brand: 'niu',
      telematics_unit_id: 'unit-scoped',
      credentials_id: id,
    });
    expect(vehicle.statusCode, vehicle.body).toBe(201);
    await t.call(fleet.token, 'DELETE', `/vehicles/${vehicle.json().id}`);
    await t.call(fleet.token, 'DELETE', `/niu/credentials/${id}`);
    expect((await everything.events(4)).map((e) => e.event)).toEqual([
      'credential.created',
      'vehicle.created',
      'vehicle.deleted',
      'credential.deleted',
    ]);
    expect((await credentialsOnly.events(2)).map((e) => e.event)).toEqual(['credential.created', 'credential.deleted']);
    await expect(credentialsOnly.events(3, 300)).rejects.toThrow(/did not arrive/);
    const neither = await watch(await t.tokenFor(fleet.fleetId, ['vehicles:read']));
    expect(neither.status).toBe(403);
    expect(JSON.parse(neither.body!)).toMatchObject({ type: '/problems/insufficient-scope' });
    for (const stream of [credentialsOnly, everything]) stream.close();
  });

  it('a restricted client sees only the credentials inside its restriction, replayed or live', async () => {
    const head = (await t.call(fleet.token, 'GET', '/audit/head')).json().seq as number;
    const tesla = await t.call(fleet.token, 'POST', '/tesla/credentials', { ...teslaExample, name: 'tesla-restricted' });
    expect(tesla.statusCode, tesla.body).toBe(201);
    const niuId = await createNiu('outside');
    const byBrand = await restrictedClient(t, fleet.token, { brands: ['tesla'] }, ['credentials:read']);
    const byId = await restrictedClient(t, fleet.token, { credential_ids: [niuId] }, ['credentials:read']);
    const brandStream = await watch(byBrand.token, `?after=${head}`);
    const idStream = await watch(byId.token, `?after=${head}`);
    await t.call(fleet.token, 'PATCH', `/niu/credentials/${niuId}`, { client_secret: 'restricted-rotation' });
    await t.call(fleet.token, 'PATCH', `/tesla/credentials/${tesla.json().id}`, { client_secret: 'tesla-rotation' });
    const brandEvents = await brandStream.events(2);
    expect(brandEvents.map((e) => [e.event, dataOf(e).target])).toEqual([
      ['credential.created', { type: 'credential', id: tesla.json().id, brand: 'tesla' }],
      ['credential.rotated', { type: 'credential', id: tesla.json().id, brand: 'tesla' }],
    ]);
    const idEvents = await idStream.events(2);
    expect(idEvents.map((e) => [e.event, (dataOf(e).target as { id: string }).id])).toEqual([
      ['credential.created', niuId],
      ['credential.rotated', niuId],
    ]);
    await expect(brandStream.events(3, 300)).rejects.toThrow(/did not arrive/);
    await expect(idStream.events(3, 300)).rejects.toThrow(/did not arrive/);
    brandStream.close();
    idStream.close();
  });
});

describe('secrets never leave', () => {
  it('no event carries a stored secret, a revealed value or a token', async () => {
    const reveal = await t.tokenFor(fleet.fleetId, ['credentials:reveal', 'credentials:read']);
    const stream = await watch(fleet.token);
    const secrets = ['first-stored-secret-7f3a', 'second-stored-secret-9c1d'];
    const id = await createNiu('secretive', secrets[0]);
    await t.call(fleet.token, 'PATCH', `/niu/credentials/${id}`, { client_secret: secrets[1] });
    const revealed = await t.call(reveal, 'GET', `/niu/credentials/${id}/secrets`);
    expect(revealed.json().secrets.client_secret).toBe(secrets[1]);
    const events = await stream.events(3);
    expect(events.map((e) => e.event)).toEqual(['credential.created', 'credential.rotated', 'credential.revealed']);
    const received = stream.text();
    for (const value of [...secrets, reveal, fleet.token, fleet.clientSecret, niuExample.client_secret]) {
      expect(received).not.toContain(value);
    }
    stream.close();
  });
});

describe('limits and shutdown', () => {
  it('a client holding the maximum of open streams gets 429; closing one frees its place', async () => {
    const token = await t.tokenFor(fleet.fleetId, ['audit:read']);
    const streams = [await watch(token), await watch(token), await watch(token)];
    expect(streams.map((s) => s.status)).toEqual([200, 200, 200]);
    const refused = await watch(token);
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body!)).toMatchObject({ type: '/problems/too-many-requests', status: 429 });
    // Another client of the same fleet is not affected.
    expect((await watch(await t.tokenFor(fleet.fleetId, ['audit:read']))).status).toBe(200);
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(Number(/^fleetvault_watch_streams (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
    expect(metrics).toMatch(/^fleetvault_watch_fleets 1$/m);
    streams[0]!.close();
    // The server learns of the close from the socket: a few bounded attempts.
    let status = 0;
    for (let attempt = 0; attempt < 20 && status !== 200; attempt++) {
      const retry = await watch(token);
      status = retry.status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
  });

  it('app.close() ends open streams instead of waiting for them', async () => {
    const other = await buildTestApp();
    await other.app.listen({ port: 0, host: '127.0.0.1' });
    const { token } = await other.newFleet();
    const url = `http://127.0.0.1:${(other.app.server.address() as AddressInfo).port}/events`;
    const streams = [await openSse(url, { authorization: `Bearer ${token}` }), await openSse(url, { authorization: `Bearer ${token}` })];
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(5000);
    // Ended cleanly: the whole response arrived (its last chunk included), not a cut connection.
    for (const stream of streams) expect(await stream.ended(2000)).toBe(true);
  });
});
