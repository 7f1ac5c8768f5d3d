import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from '../helpers/test-app.js';

/** Idempotency-Key on POST /{brand}/credentials (docs/design.md §2.1), with a clock we can move. */
let t: TestApp;
let token: string;
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

beforeAll(async () => {
  t = await buildTestApp({ clock });
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

const post = (key: string | undefined, body: Record<string, unknown>, brand = 'niu') =>
  t.call(token, 'POST', `/${brand}/credentials`, body, key === undefined ? {} : { 'idempotency-key': key });

async function countByClientId(clientId: string): Promise<number> {
  const rows = await t.deps.database.db.selectFrom('credentials').select('fields').execute();
  return rows.filter((r) => JSON.parse(r.fields).client_id === clientId).length;
}

describe('Idempotency-Key', () => {
  it('a retry with the same key and body answers the first response and creates nothing more', async () => {
    const body = { ...niuExample, name: 'idem once', client_id: 'idem-1' };
    const first = await post('retry-1', body);
    expect(first.statusCode).toBe(201);
    const again = await post('retry-1', { client_secret: body.client_secret, client_id: 'idem-1', name: 'idem once' });
    expect(again.statusCode).toBe(201);
    expect(again.json()).toEqual(first.json());
    expect(again.headers.location).toBe(first.headers.location);
    expect(again.body).not.toContain(body.client_secret);
    expect(await countByClientId('idem-1')).toBe(1);
  });

  it('the same key with another body is 422 idempotency-key-reused, and creates nothing', async () => {
    await post('reused-1', { client_id: 'idem-2', client_secret: 'first-secret' });
    const other = await post('reused-1', { client_id: 'idem-2', client_secret: 'other-secret' });
    const problem = expectProblem(other, 'idempotency-key-reused', 422);
    expect(JSON.stringify(problem)).not.toMatch(/first-secret|other-secret/);
    expectProblem(
      await post('reused-1', { client_id: 'idem-2', client_secret: 'first-secret' }, 'smartcar'),
      'idempotency-key-reused',
      422,
    );
    expect(await countByClientId('idem-2')).toBe(1);
  });

  it('concurrent retries with one key create exactly one credential and all answer it', async () => {
    const body = { client_id: 'idem-3', client_secret: 's3' };
    const answers = await Promise.all(Array.from({ length: 6 }, () => post('concurrent-1', body)));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(await countByClientId('idem-3')).toBe(1);
  });

  it('a named credential retried concurrently replays rather than answering 409 name-already-exists', async () => {
    const body = { name: 'idem named race', client_id: 'idem-4', client_secret: 's4' };
    const answers = await Promise.all(Array.from({ length: 4 }, () => post('named-race', body)));
    expect(answers.map((a) => a.statusCode)).toEqual([201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
  });

  it('after 24 h the key is free again: the same request creates a new credential', async () => {
    const body = { client_id: 'idem-5', client_secret: 's5' };
    const first = await post('expiring', body);
    offsetMs += 24 * 60 * 60 * 1000 + 1000;
    const later = await post('expiring', body);
    offsetMs = 0;
    expect(later.statusCode).toBe(201);
    expect(later.json().id).not.toBe(first.json().id);
    expect(await countByClientId('idem-5')).toBe(2);
  });

  it('keys are per fleet, requests without a key are never deduplicated, and malformed keys are 422', async () => {
    const other = await t.newFleet();
    const body = { client_id: 'idem-6', client_secret: 's6' };
    await post('shared-key', body);
    const elsewhere = await t.call(other.token, 'POST', '/niu/credentials', body, { 'idempotency-key': 'shared-key' });
    expect(elsewhere.statusCode).toBe(201);
    expect((await post(undefined, body)).statusCode).toBe(201);
    expect(await countByClientId('idem-6')).toBe(3);
    for (const bad of ['has space', 'x'.repeat(256), '']) {
      const res = await post(bad, body);
      const errors = expectProblem(res, 'validation-failed', 422).errors as { pointer: string }[];
      expect(errors.length).toBeGreaterThan(0);
      expect(new Set(errors.map((e) => e.pointer))).toEqual(new Set(['/headers/idempotency-key']));
    }
  });
});
