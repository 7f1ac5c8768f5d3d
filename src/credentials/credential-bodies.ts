import { z } from 'zod';
import { brands } from '../brands/brand-registry.js';
import type { Brand } from '../brands/define-brand.js';
import { resourceNameSchema } from '../core/schemas.js';
import { patchFieldError } from './credential-fields.js';

/**
 * The create and PATCH bodies of each brand, built from its catalogue entry (docs/design.md §2.1, §4): the routes
 * validate with them and the API document shows them, one named schema per brand; the service parses with the same
 * ones. Nothing here is written per brand: a field added to an entry is a property of its bodies.
 */

/** What a create body parses to: `name` and the brand's own fields, with the entry's derived values filled in. */
export type CredentialCreateValues = { name?: string | null | undefined } & Record<string, string | null | undefined>;

export interface BrandBodies {
  /** `name` (optional) plus every identity, setting and secret field; unknown fields refused. */
  create: z.ZodType<CredentialCreateValues>;
  /** The rotatable secrets, at least one; every other field of the entry refused with why (PATCH only rotates secrets). */
  rotate: z.ZodType<Record<string, string | undefined>>;
}

/** The name of a brand's body in the API document: `NiuCredentialCreate`, `HighMobilitySecretRotate`. */
export function bodySchemaName(brand: Brand, body: 'CredentialCreate' | 'SecretRotate'): string {
  const pascal = brand.slug
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
  return `${pascal}${body}`;
}

const fieldSchema = (brand: Brand, field: string) => brand.fields[field]!.schema.describe(brand.fields[field]!.description);

/** The create body of `brand`: its fields' own schemas (lengths, formats, defaults), its cross-field rule and derivation. */
export function credentialCreateSchema(brand: Brand): BrandBodies['create'] {
  const shape = Object.fromEntries(Object.keys(brand.fields).map((field) => [field, fieldSchema(brand, field)]));
  const name = resourceNameSchema.nullish().describe('Optional; unique in the fleet, compared case-insensitively');
  let schema: z.ZodType<CredentialCreateValues> = z.strictObject({ name, ...shape }) as unknown as z.ZodType<CredentialCreateValues>;
  const { refine, derive } = brand;
  if (refine) schema = schema.superRefine(({ name: _name, ...values }, ctx) => refine(values as Record<string, string | undefined>, ctx));
  if (derive) schema = schema.transform(({ name, ...values }) => ({ name, ...derive(values as Record<string, string | undefined>) }));
  return schema.describe(`The body of POST /${brand.slug}/credentials (${brand.displayName})`);
}

/**
 * The PATCH body of `brand`: its rotatable secrets, all optional but at least one. Every other field of the entry, and
 * `name`, is declared as never allowed, with the reason as its error and its description (a generated client types it
 * `never`), so a `client_id` is refused saying a different client_id is a different credential.
 */
export function secretRotateSchema(brand: Brand): BrandBodies['rotate'] {
  const refusal = (field: string) =>
    z
      .never({ error: patchFieldError(brand, field) })
      .optional()
      .describe(patchFieldError(brand, field));
  const fixed = ['name', ...Object.keys(brand.fields).filter((field) => !brand.rotatableFields.includes(field))];
  const shape = {
    ...Object.fromEntries(brand.rotatableFields.map((field) => [field, fieldSchema(brand, field).optional()])),
    ...Object.fromEntries(fixed.map((field) => [field, refusal(field)])),
  };
  return z
    .strictObject(shape)
    .refine((body) => Object.keys(body).length > 0, {
      message: `give at least one of: ${brand.rotatableFields.join(', ')}`,
      // Only of a body with nothing else wrong: `{"clientSecret": …}` is one unknown field, not also an empty body.
      when: (payload) => payload.issues.length === 0,
    })
    .meta({
      description: `The body of PATCH /${brand.slug}/credentials/{id} (${brand.displayName}): only rotatable secrets`,
      minProperties: 1,
    }) as unknown as BrandBodies['rotate'];
}

/** Every catalogue entry's bodies, built once at start-up, by slug. */
export const brandBodies: ReadonlyMap<string, BrandBodies> = new Map(
  brands.map((brand) => [brand.slug, { create: credentialCreateSchema(brand), rotate: secretRotateSchema(brand) }]),
);

export function bodiesOf(brand: Brand): BrandBodies {
  return brandBodies.get(brand.slug)!;
}
