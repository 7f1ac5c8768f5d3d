import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * An audit event's `request_id` is always the id the server generated and answered in X-Request-Id;
 * a caller's own X-Request-Id is kept beside it as `client_request_id` (printable ASCII, at most 128
 * characters, else dropped), so no request can take another's id. Both are under the chain's hash.
 */
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
let t: TestApp;
let fleet: Awaited<ReturnType<TestApp['newFleet']>>;

beforeAll(async () => {
  t = await buildTestApp();
  fleet = await t.newFleet();
});

afterAll(async () => {
  await t?.close();
});

/** Creates a credential with the given X-Request-Id (if any); its answered id and its audit event. */
async function createWith(callerId?: string) {
  const headers: Record<string, string> = callerId === undefined ? {} : { 'x-request-id': callerId };
  const res = await t.call(fleet.token, 'POST', '/niu/credentials', { ...niuExample, name: `req ${Math.random()}` }, headers);
  expect(res.statusCode, res.body).toBe(201);
  const [event] = (await t.call(fleet.token, 'GET', '/audit?limit=1&action=credential.created')).json().items;
  expect(event.target.id).toBe(res.json().id);
  return { answered: String(res.headers['x-request-id']), event: event as Record<string, unknown> };
}

describe('audit request ids', () => {
  it("records the server's own id as request_id and the caller's as client_request_id", async () => {
    const first = await createWith('caller-trace-7');
    const second = await createWith('caller-trace-7');
    for (const { answered, event } of [first, second]) {
      expect(answered).toMatch(ULID);
      expect(event).toMatchObject({ request_id: answered, client_request_id: 'caller-trace-7' });
    }
    expect(first.answered).not.toBe(second.answered);
  });

  it("cannot take another request's id: sending it as X-Request-Id leaves it in client_request_id only", async () => {
    const victim = await createWith();
    const impostor = await createWith(victim.answered);
    expect(impostor.event.request_id).toBe(impostor.answered);
    expect(impostor.event.request_id).not.toBe(victim.answered);
    expect(impostor.event.client_request_id).toBe(victim.answered);
    const events = (await t.call(fleet.token, 'GET', '/audit?limit=200')).json().items as Record<string, unknown>[];
    expect(events.filter((e) => e.request_id === victim.answered)).toHaveLength(1);
  });

  it('records the caller id of a token request on token.issued too', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'x-request-id': 'token-trace-1' },
      payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: fleet.clientSecret },
    });
    expect(res.statusCode, res.body).toBe(200);
    const [event] = (await t.call(fleet.token, 'GET', '/audit?limit=1&action=token.issued')).json().items;
    expect(event).toMatchObject({ request_id: res.headers['x-request-id'], client_request_id: 'token-trace-1' });
  });

  it('drops an over-long or non-printable caller id, and records none when none is sent', async () => {
    for (const callerId of ['x'.repeat(129), 'tab\there', 'bell\u0007', '']) {
      const { event, answered } = await createWith(callerId);
      expect(event.request_id).toBe(answered);
      expect(event).not.toHaveProperty('client_request_id');
    }
    expect((await createWith('x'.repeat(128))).event.client_request_id).toBe('x'.repeat(128));
    expect((await createWith('spaces and <symbols> ok')).event.client_request_id).toBe('spaces and <symbols> ok');
    expect((await createWith()).event).not.toHaveProperty('client_request_id');
  });

  it('keeps the chain verifiable with and without client ids, and a changed client_request_id breaks it', async () => {
    const [ok] = await t.deps.services.audit.verify({ fleetId: fleet.fleetId });
    expect(ok!.problem).toBeUndefined();
    const tampered = await createWith('original-id');
    await t.deps.database.db
      .updateTable('audit_events')
      .set({ client_request_id: 'forged-id' })
      .where('id', '=', String(tampered.event.id))
      .execute();
    const [broken] = await t.deps.services.audit.verify({ fleetId: fleet.fleetId });
    expect(broken!.problem).toMatchObject({ seq: tampered.event.seq, kind: 'altered' });
  });
});
