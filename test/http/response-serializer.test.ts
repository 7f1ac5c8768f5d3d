import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { credentialListSchema, credentialViewSchema } from '../../src/credentials/credentials.schemas.js';
import { responseSerializerCompiler } from '../../src/http/response-serializer.js';
import { problemSchema } from '../../src/http/route-types.js';

const compile = (schema: z.ZodType) => responseSerializerCompiler({ schema, method: 'GET', url: '/test', httpStatus: '200' });

const view = {
  id: '01F6Z8N4V2Q3R5T7W9X1Y3Z5A7',
  brand: 'niu',
  name: 'Berlin',
  client_id: 'client1',
  secret_version: 1,
  vehicle_count: 0,
  created_at: '2026-11-23T10:00:00.000Z',
  updated_at: '2026-11-23T10:00:00.000Z',
  secret_updated_at: '2026-11-23T10:00:00.000Z',
  status: 'unknown',
  status_checked_at: null,
};
// What a careless handler might hand the serializer: a row with its secrets and ciphertext.
const leaky = { ...view, client_secret: 'supersecret', sealed_secrets: Buffer.from('ciphertext'), fleet_id: '01FLEET', name_key: 'berlin' };

describe('response serializer (fast-json-stringify from the zod schema)', () => {
  it('writes only the declared fields of a view, as the zod serializer did', () => {
    expect(JSON.parse(compile(credentialViewSchema)(leaky))).toEqual(view);
  });

  it('writes only the declared fields of every list item', () => {
    const body = JSON.parse(compile(credentialListSchema)({ items: [leaky, leaky], next_cursor: null, total_secret: 'x' }));
    expect(body).toEqual({ items: [view, view], next_cursor: null });
  });

  it('keeps the extra members of a loose schema (problem bodies carry their extension members)', () => {
    const problem = { type: 'about:blank', title: 'T', status: 409, detail: 'd', request_id: 'r', vehicle_count: 2, limit: 5 };
    expect(JSON.parse(compile(problemSchema)(problem))).toEqual(problem);
  });

  it('refuses a body without a required field (a 500, never a partial body)', () => {
    const { id: _id, ...withoutId } = view;
    expect(() => compile(credentialViewSchema)(withoutId)).toThrow(/"id" is required/);
  });

  it('leaves schemas that change values on the way out to zod (a codec is encoded, not skipped)', () => {
    const schema = z.object({ n: z.codec(z.string(), z.number(), { decode: Number, encode: String }) });
    expect(compile(schema)({ n: 4, extra: 1 })).toBe('{"n":"4"}');
  });
});
