import { z } from 'zod';
import { ULID_PATTERN } from './clock.js';

/** Schemas more than one domain uses (a credential's and a vehicle's name, resource ids). */

/** A ULID as a client may type it (either case), upper-cased as ids are stored. */
export const ulidSchema = z
  .string()
  .regex(new RegExp(ULID_PATTERN.source, 'i'), 'must be a ULID')
  .transform((s) => s.toUpperCase());

/** A resource's `name`: trimmed, NFC, 1-100 characters (code points), no control characters. */
export const resourceNameSchema = z
  .string()
  // A generous bound before trimming; the real limit (100 code points) is checked after it.
  .max(1000, 'must be at most 100 characters')
  .transform((s) => s.normalize('NFC').trim())
  .refine((s) => s.length > 0, 'must not be empty')
  .refine((s) => [...s].length <= 100, 'must be at most 100 characters')
  .refine((s) => !/\p{Cc}/u.test(s), 'must not contain control characters');
