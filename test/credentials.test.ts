import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, expectProblem, niuExample, type TestApp } from './helpers/test-app.js';

let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

describe('POST /{brand}/credentials', () => {
  it('stores the INVERS NIU example and answers 201 with the view and a Location', async () => {
    const res = await t.call(token, 'POST', '/niu/credentials', niuExample);
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      brand: 'niu',
      name: 'NIU fleet Berlin',
      client_id: 'client1',
      secret_version: 1,
      vehicle_count: 0,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      updated_at: body.created_at,
      secret_updated_at: body.created_at,
    });
    expect(res.headers.location).toBe(`/niu/credentials/${body.id}`);
    expect(res.body).not.toContain('supersecret');
  });
});

describe('names', () => {
  it('refuses a second credential with the same name in another case: 409 name-already-exists', async () => {
    await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: 'Unique Name' });
    const res = await t.call(token, 'POST', '/mercedes-benz/credentials', { name: '  UNIQUE name ', client_id: 'c2', client_secret: 's2' });
    expectProblem(res, 'name-already-exists', 409);
  });
});
