import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineBrand, plainField, secretField } from '../brands/define-brand.js';
import { bodySchemaName, credentialCreateSchema, secretRotateSchema } from './credential-bodies.js';

const entry = (extra: Parameters<typeof defineBrand>[0]['fields'] = {}) =>
  defineBrand({
    slug: 'acme-motors',
    displayName: 'Acme',
    fields: {
      client_id: { kind: 'identity', schema: plainField(), description: 'Acme client id.' },
      client_secret: { kind: 'secret', schema: secretField(), rotatable: true, description: 'Acme secret.' },
      ...extra,
    },
    tokenExchange: 'none',
    exchange: null,
  });

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) as { properties: Record<string, object>; required?: string[] };

describe('the bodies built from a catalogue entry', () => {
  it('are named after the brand', () => {
    expect(bodySchemaName(entry(), 'CredentialCreate')).toBe('AcmeMotorsCredentialCreate');
    expect(bodySchemaName(entry(), 'SecretRotate')).toBe('AcmeMotorsSecretRotate');
  });

  it('follow a field added to the entry: a property of the create body, required unless optional, with its limits', () => {
    const before = json(credentialCreateSchema(entry()));
    expect(Object.keys(before.properties)).toEqual(['name', 'client_id', 'client_secret']);
    const after = json(
      credentialCreateSchema(
        entry({
          depot: { kind: 'setting', schema: z.enum(['north', 'south']), description: 'Depot.' },
          api_key: { kind: 'secret', schema: secretField().optional(), rotatable: true, description: 'Key.' },
        }),
      ),
    );
    expect(Object.keys(after.properties)).toEqual(['name', 'client_id', 'client_secret', 'depot', 'api_key']);
    expect(after.required).toEqual(['client_id', 'client_secret', 'depot']);
    expect(after.properties.depot).toMatchObject({ enum: ['north', 'south'], description: 'Depot.' });
    expect(after.properties.api_key).toMatchObject({ type: 'string', maxLength: 8192 });
    expect(after).toMatchObject({ additionalProperties: false });
  });

  it('PATCH: the rotatable secrets, a new rotatable one included; other fields refused with why', () => {
    const rotate = secretRotateSchema(
      entry({ api_key: { kind: 'secret', schema: secretField().optional(), rotatable: true, description: 'Key.' } }),
    );
    const doc = json(rotate);
    expect(doc.required).toBeUndefined();
    expect(doc.properties.api_key).toMatchObject({ type: 'string' });
    expect(doc.properties.client_id).toMatchObject({ not: {}, description: expect.stringContaining('different credential') });
    expect(rotate.safeParse({ api_key: 'k' }).success).toBe(true);
    const refused = rotate.safeParse({ client_id: 'x' });
    expect(refused.error?.issues).toEqual([expect.objectContaining({ path: ['client_id'], message: expect.stringContaining('POST') })]);
    expect(rotate.safeParse({}).error?.issues).toEqual([
      expect.objectContaining({ path: [], message: 'give at least one of: client_secret, api_key' }),
    ]);
  });
});
