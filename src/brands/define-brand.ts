import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import type { BrandAdapter } from './brand-adapter.js';

export type FieldKind = 'identity' | 'setting' | 'secret';

export interface FieldSpec {
  kind: FieldKind;
  /** Parses the raw value; `.optional()`/`.default()` on it decide whether the field is required. */
  schema: z.ZodType<string | undefined>;
  /** Only secrets can be rotatable: PATCH accepts exactly these. */
  rotatable?: boolean;
  description: string;
}

export interface BrandInput {
  slug: string;
  aliases?: string[];
  displayName: string;
  fields: Record<string, FieldSpec>;
  /** Cross-field rules and derived values (e.g. Segway's region from its client_id). */
  refine?: (values: Record<string, string | undefined>, ctx: z.RefinementCtx) => void;
  derive?: (values: Record<string, string | undefined>) => Record<string, string | undefined>;
  /** Rules over the complete secret set, checked on create and after a rotation merges. */
  checkSecrets?: (secrets: Record<string, string>) => { pointer: string; detail: string } | undefined;
  maxPerFleet?: number;
  tokenExchange: string;
  /** The brand's token flow (adapters/<slug>.ts), or null: the vault cannot obtain a token for it (409 exchange-not-supported). */
  exchange: BrandAdapter | null;
  /** For a brand with no exchange: what to do instead, said in its 409 exchange-not-supported. */
  noExchangeHint?: string;
  /** A credential of this brand to show in the API document: its name and its field values. */
  example?: { name: string; values: Record<string, string> };
  /**
   * A secret field holding a private key whose public key the brand fetches from the partner's own host, served
   * at `GET /<slug>/credentials/{id}/public-key` (Tesla's vehicle-command key); absent for other brands.
   */
  publicKey?: { field: string; operationId: string; summary: string; description: string };
  /** Env-file variable per field, in file order, where the maker's clients read fixed names (openOBD); else `<SLUG>_<FIELD>`. */
  envVariables?: Record<string, string>;
}

export interface Brand extends Required<
  Omit<BrandInput, 'refine' | 'derive' | 'checkSecrets' | 'maxPerFleet' | 'envVariables' | 'publicKey' | 'noExchangeHint' | 'example'>
> {
  publicKey: BrandInput['publicKey'];
  /** The entry's cross-field rules and derived values, for the bodies built from it (src/credentials/credential-bodies.ts). */
  refine: BrandInput['refine'];
  derive: BrandInput['derive'];
  noExchangeHint: string | undefined;
  example: BrandInput['example'];
  maxPerFleet: number | undefined;
  envVariables: Record<string, string> | undefined;
  identityFields: string[];
  settingFields: string[];
  secretFields: string[];
  rotatableFields: string[];
  /** Strict schema of the brand's own fields (without `name`). */
  fieldsSchema: z.ZodType<Record<string, string | undefined>>;
  checkSecrets: NonNullable<BrandInput['checkSecrets']>;
}

/**
 * Identity and setting strings: trimmed, 1-256 chars, no control characters. The class is Unicode's Cc (U+0000-U+001F,
 * U+007F-U+009F) spelled as ranges, not `\p{Cc}`: the API document carries the pattern, and a validator that compiles
 * it without the `u` flag (Spectral's) reads `\p{Cc}` as the letters p, {, C, c, }.
 */
export const plainField = () =>
  z
    .string()
    .trim()
    .min(1)
    .max(256)
    // eslint-disable-next-line no-control-regex -- refusing control characters is the point
    .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, 'must not contain control characters');

const SECRET_TOO_LONG = 'must be at most 8 KiB (8192 bytes of UTF-8)';

/** Secret strings: kept byte for byte (no trimming), up to 8 KiB of UTF-8 (not 8192 UTF-16 units, which could be 24 KiB). */
export const secretField = () =>
  z
    .string()
    .min(1)
    .max(8192, SECRET_TOO_LONG)
    // Over 8192 characters is already reported by max(): one error per field.
    .refine((s) => s.length > 8192 || Buffer.byteLength(s, 'utf8') <= 8192, SECRET_TOO_LONG);

/** A P-256 (prime256v1) private key in PEM, PKCS#8 or SEC1, up to 16 KiB. */
export const p256PrivateKeyPem = () =>
  z.string().min(1).max(16_384).refine(isP256PrivateKeyPem, 'must be a P-256 (prime256v1) private key in PEM form');

function isP256PrivateKeyPem(pem: string): boolean {
  if (!pem.includes('-----BEGIN')) return false;
  try {
    const key = createPrivateKey({ key: pem, format: 'pem' });
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch {
    return false;
  }
}

export function defineBrand(input: BrandInput): Brand {
  if (input.exchange !== null && input.exchange.brand !== input.slug) {
    throw new TypeError(`brand ${input.slug}: its exchange adapter is ${input.exchange.brand}'s`);
  }
  if (input.publicKey !== undefined && input.fields[input.publicKey.field]?.kind !== 'secret') {
    throw new TypeError(`brand ${input.slug}: publicKey.field must name a secret field`);
  }
  const names = Object.keys(input.fields);
  const ofKind = (kind: FieldKind) => names.filter((n) => input.fields[n]!.kind === kind);
  const shape = Object.fromEntries(names.map((n) => [n, input.fields[n]!.schema]));
  let fieldsSchema: z.ZodType<Record<string, string | undefined>> = z.strictObject(shape) as unknown as z.ZodType<
    Record<string, string | undefined>
  >;
  if (input.refine) fieldsSchema = fieldsSchema.superRefine(input.refine);
  if (input.derive) fieldsSchema = fieldsSchema.transform(input.derive);
  return {
    slug: input.slug,
    aliases: input.aliases ?? [],
    displayName: input.displayName,
    fields: input.fields,
    tokenExchange: input.tokenExchange,
    exchange: input.exchange,
    publicKey: input.publicKey,
    refine: input.refine,
    derive: input.derive,
    noExchangeHint: input.noExchangeHint,
    example: input.example,
    maxPerFleet: input.maxPerFleet,
    envVariables: input.envVariables,
    identityFields: ofKind('identity'),
    settingFields: ofKind('setting'),
    secretFields: ofKind('secret'),
    rotatableFields: names.filter((n) => input.fields[n]!.rotatable === true),
    fieldsSchema,
    checkSecrets: input.checkSecrets ?? (() => undefined),
  };
}
