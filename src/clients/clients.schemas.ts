import { z } from 'zod';
import { scopeSchema } from '../core/scopes.js';
import { restrictSchema, restrictViewSchema } from './client-restriction.js';

const publicJwkSchema = z.object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string(), y: z.string() });

export const clientViewSchema = z.object({
  id: z.string(),
  kind: z.enum(['secret', 'key']),
  name: z.string(),
  fleet_id: z.string(),
  scopes: z.array(scopeSchema),
  public_jwk: publicJwkSchema.nullable().describe('A key client\u2019s public key (ES256); null for a secret client'),
  created_at: z.string(),
  restrict: restrictViewSchema,
});

/** Create answer: the view plus, once, the secret or the generated key in High Mobility's key-file shape. */
export const createdClientSchema = clientViewSchema.extend({
  client_secret: z.string().optional().describe('Secret clients: shown once, never again'),
  private_key: z.string().optional().describe('Generated key clients: PKCS#8 PEM, shown once, never stored'),
  token_uri: z.string().optional(),
  instance_uri: z.string().optional(),
  inserted_at: z.string().optional(),
});

export const rotatedSecretSchema = clientViewSchema.extend({ client_secret: z.string() });

export const clientCreateSchema = z.strictObject({
  kind: z.enum(['secret', 'key']).default('secret'),
  name: z.string().max(100),
  scopes: z.array(scopeSchema).min(1).max(20).describe('At most the scopes the calling client holds'),
  public_key: z
    .union([z.string().max(16_384), z.record(z.string().max(20), z.unknown())])
    .optional()
    .describe('Key clients: a P-256 public key as PEM (SPKI) or JWK. Omit it to have the vault generate the pair.'),
  restrict: restrictSchema.nullish(),
});

export const clientListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});

export const clientListSchema = z.object({ items: z.array(clientViewSchema), next_cursor: z.string().nullable() });

/** A malformed id is simply not found (404), as for every resource (README). */
export const clientParamsSchema = z.strictObject({ id: z.string().max(256) });
