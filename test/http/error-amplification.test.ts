import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FIELD_ERRORS } from '../../src/core/app-error.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

describe('error amplification', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await buildTestApp();
    token = (await t.newFleet()).token;
  });
  afterAll(() => t.close());

  it('lists the first 20 errors of a body with 5 000 unknown members and counts the rest', async () => {
    const body: Record<string, unknown> = { ...niuExample };
    for (let i = 0; i < 5000; i++) body[`u${i}`] = 1;
    const payload = JSON.stringify(body);
    const res = await t.call(token, 'POST', '/niu/credentials', payload, { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(422);
    const problem = res.json();
    expect(problem).toMatchObject({ type: '/problems/validation-failed', status: 422, errors_truncated: 5000 - MAX_FIELD_ERRORS });
    expect(problem.errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(problem.errors[0]).toEqual({ pointer: '/u0', detail: 'is not a known field' });
    expect(res.body.length).toBeLessThan(payload.length / 10);
  });

  it('lists every error, with no errors_truncated, when there are 20 or fewer', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', { ...niuExample, a: 1, b: 2 });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toHaveLength(2);
    expect(res.json()).not.toHaveProperty('errors_truncated');
  });
});
