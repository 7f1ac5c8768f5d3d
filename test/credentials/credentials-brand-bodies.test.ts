import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brands } from '../../src/brands/brand-registry.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/** Each brand's route validates with its own body (src/credentials/credential-bodies.ts), and the document shows them all. */
let t: TestApp;
let token: string;

beforeAll(async () => {
  t = await buildTestApp();
  ({ token } = await t.newFleet());
});
afterAll(() => t.close());

const pointers = (problem: Record<string, unknown>) => (problem.errors as { pointer: string }[]).map((e) => e.pointer);
const niuBody = { client_id: 'shared-id', client_secret: 'shared-secret' };
const teslaBody = { client_id: 'shared-id', region: 'eu', client_secret: 'shared-secret' };

describe('a body valid for one brand and not for another', () => {
  it('is stored for the brand it fits', async () => {
    expect((await t.call(token, 'POST', '/niu/credentials', niuBody)).statusCode).toBe(201);
    expect((await t.call(token, 'POST', '/tesla/credentials', teslaBody)).statusCode).toBe(201);
  });

  it('is 422 at the field the other brand needs, or does not know, whatever the spelling of the brand', async () => {
    for (const path of ['/tesla/credentials', '/TESLA/credentials']) {
      const missing = expectProblem(await t.call(token, 'POST', path, niuBody), 'validation-failed', 422);
      expect(pointers(missing)).toEqual(['/region']);
    }
    const unknown = expectProblem(await t.call(token, 'POST', '/niu/credentials', teslaBody), 'validation-failed', 422);
    expect(unknown.errors).toEqual([{ pointer: '/region', detail: 'is not a known field' }]);
    const geotab = expectProblem(await t.call(token, 'POST', '/geotab/credentials', niuBody), 'validation-failed', 422);
    expect(pointers(geotab).sort()).toEqual(['/client_id', '/client_secret', '/database', '/password', '/username']);
  });

  it('PATCH: a secret one brand rotates is not a field of another', async () => {
    const created = await t.call(token, 'POST', '/niu/credentials', { ...niuBody, client_id: 'patch-me' });
    const url = created.headers.location as string;
    const refused = expectProblem(await t.call(token, 'PATCH', url, { private_key: 'x' }), 'validation-failed', 422);
    expect(refused.errors).toEqual([{ pointer: '/private_key', detail: 'is not a known field' }]);
    const fixed = expectProblem(await t.call(token, 'PATCH', url, { client_id: 'other' }), 'validation-failed', 422);
    expect(fixed.detail).toBe('PATCH only rotates secrets. Rotatable fields for niu: client_secret.');
    expect((await t.call(token, 'PATCH', url, { client_secret: 'rotated' })).statusCode).toBe(200);
  });

  it('an unknown brand is still 404 unknown-brand whatever the body, and a body that is not an object still 422', async () => {
    expectProblem(await t.call(token, 'POST', '/volkswagen/credentials', { anything: 1 }), 'unknown-brand', 404);
    expectProblem(await t.call(token, 'PATCH', '/volkswagen/credentials/01F6Z8N4V2Q3R5T7W9X1Y3Z5A7', {}), 'unknown-brand', 404);
    expectProblem(await t.call(token, 'POST', '/volkswagen/credentials', [1]), 'validation-failed', 422);
  });
});

describe('the API document', () => {
  type Schema = { $ref?: string; anyOf?: Schema[]; allOf?: Schema[]; properties?: Record<string, unknown>; required?: string[] };
  let schemas: Record<string, Schema>;
  let spec: { paths: Record<string, Record<string, { requestBody: { content: Record<string, { schema: Schema }> } }>> };
  beforeAll(async () => {
    spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    schemas = (spec as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas;
  });
  const name = (slug: string) => slug.replace(/(^|-)(\w)/g, (_m, _dash, c: string) => c.toUpperCase());

  it('shows each brand\u2019s create and PATCH body under its name, with the catalogue\u2019s fields', () => {
    for (const brand of brands) {
      const create = schemas[`${name(brand.slug)}CredentialCreate`]!;
      expect(Object.keys(create.properties!)).toEqual(['name', ...Object.keys(brand.fields)]);
      const required = Object.keys(brand.fields).filter((field) => !brand.fields[field]!.schema.safeParse(undefined).success);
      expect(create.required ?? []).toEqual(required);
      const rotate = schemas[`${name(brand.slug)}SecretRotate`]!;
      expect(Object.keys(rotate.properties!).slice(0, brand.rotatableFields.length)).toEqual(brand.rotatableFields);
    }
  });

  it('gives createCredential and rotateCredentialSecret a body that is any brand\u2019s, by reference', () => {
    const body = (path: string, method: string) => spec.paths[path]![method]!.requestBody.content['application/json']!.schema;
    expect(body('/{brand}/credentials', 'post').allOf).toEqual([{ $ref: '#/components/schemas/CredentialCreate' }]);
    expect(body('/{brand}/credentials/{id}', 'patch').allOf).toEqual([{ $ref: '#/components/schemas/SecretRotate' }]);
    const refs = (id: string) => schemas[id]!.anyOf!.map((s) => s.$ref);
    expect(refs('CredentialCreate')).toEqual(brands.map((b) => `#/components/schemas/${name(b.slug)}CredentialCreate`));
    expect(refs('SecretRotate')).toEqual(brands.map((b) => `#/components/schemas/${name(b.slug)}SecretRotate`));
  });
});
