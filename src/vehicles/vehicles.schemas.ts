import { z } from 'zod';
import { plainField } from '../brands/define-brand.js';
import { resourceNameSchema, ulidSchema } from '../core/schemas.js';

const vinSchema = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-HJ-NPR-Z0-9]{17}$/, 'must be a 17-character VIN (letters I, O and Q are not used)');

export const vehicleCreateSchema = z.strictObject({
  telematics_brand: z.string().max(64),
  telematics_unit_id: plainField(),
  credentials_id: ulidSchema,
  vin: vinSchema.nullable().optional(),
  name: resourceNameSchema.nullable().optional(),
});

export const vehiclePatchSchema = z.strictObject({
  credentials_id: ulidSchema.optional(),
  vin: vinSchema.nullable().optional(),
  name: resourceNameSchema.nullable().optional(),
});

export const vehicleViewSchema = z.object({
  id: z.string(),
  telematics_brand: z.string(),
  telematics_unit_id: z.string(),
  credentials_id: z.string(),
  vin: z.string().nullable(),
  name: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export type VehicleView = z.infer<typeof vehicleViewSchema>;

export const vehicleListSchema = z.object({ items: z.array(vehicleViewSchema), next_cursor: z.string().nullable() });

export const vehicleListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(1024).optional(),
  credentials_id: ulidSchema.optional(),
  telematics_brand: z.string().max(64).optional(),
});

// A malformed id is 404 like an unknown one, never 422.
export const vehicleParamsSchema = z.strictObject({ id: z.string().max(256) });
