import { z } from 'zod';

/**
 * The closed list of audit actions (docs/design.md §2.6), each with the target it names and the strict
 * schema of its `details`. Details are small and never hold a secret, ciphertext or token: only
 * versions, field names, scopes, counts and status codes. Adding an action is one entry here.
 */
const version = z.number().int().min(1);
const fieldNames = z.array(z.string().max(64)).max(16);

export const auditActions = {
  'credential.created': { target: 'credential', details: z.strictObject({ secret_version: version }) },
  'credential.rotated': { target: 'credential', details: z.strictObject({ secret_version: version, fields: fieldNames }) },
  'credential.restored': { target: 'credential', details: z.strictObject({ secret_version: version, restored_from: version }) },
  'credential.deleted': { target: 'credential', details: z.strictObject({ secret_version: version }) },
  'credential.revealed': {
    target: 'credential',
    details: z.strictObject({ secret_version: version, format: z.enum(['json', 'env']) }),
  },
  'credential.exchanged': {
    target: 'credential',
    details: z.strictObject({ cached: z.boolean(), brand_status: z.number().int().nullable() }),
  },
  // A refused verify-on-write: on a create the credential was never stored, so its target id is null.
  'credential.verified': {
    target: 'credential',
    details: z.strictObject({ brand_status: z.number().int().nullable(), brand_error: z.string().max(64).optional() }),
  },
  'vehicle.created': { target: 'vehicle', details: z.strictObject({ credentials_id: z.string().max(32) }) },
  'vehicle.updated': {
    target: 'vehicle',
    details: z.strictObject({ credentials_id: z.string().max(32), previous_credentials_id: z.string().max(32), fields: fieldNames }),
  },
  'vehicle.deleted': { target: 'vehicle', details: z.strictObject({ credentials_id: z.string().max(32) }) },
  'client.created': {
    target: 'client',
    details: z.strictObject({
      kind: z.enum(['secret', 'key']),
      scopes: z.array(z.string().max(64)),
      // A restricted client's restriction (docs/grants.md).
      restrict: z
        .strictObject({ brands: z.array(z.string().max(64)).optional(), credential_ids: z.array(z.string().max(26)).optional() })
        .optional(),
    }),
  },
  'client.deleted': { target: 'client', details: z.strictObject({}) },
  'client.secret_rotated': { target: 'client', details: z.strictObject({}) },
  'token.issued': {
    target: 'client',
    details: z.strictObject({ grant_type: z.string().max(64), scope: z.string().max(512), expires_in: z.number().int() }),
  },
  // docs/design.md §2.11: a person's sign-in to a fleet, and the rules that decide who may sign in.
  'person.signed_in': {
    target: 'person',
    details: z.strictObject({
      rule_ids: z.array(z.string().max(26)).min(1).max(100),
      scope: z.string().max(512),
      expires_in: z.number().int(),
    }),
  },
  'sign_in_rule.created': {
    target: 'sign_in_rule',
    details: z.strictObject({
      claim: z.string().max(100),
      equals: z.string().max(256),
      scopes: z.array(z.string().max(64)),
      restrict: z
        .strictObject({ brands: z.array(z.string().max(64)).optional(), credential_ids: z.array(z.string().max(26)).optional() })
        .optional(),
    }),
  },
  'sign_in_rule.deleted': { target: 'sign_in_rule', details: z.strictObject({}) },
  'fleet.created': { target: 'fleet', details: z.strictObject({ name: z.string().max(200) }) },
  'fleet.deleted': {
    target: 'fleet',
    details: z.strictObject({ purged: z.boolean(), last_seq: z.number().int().min(0), last_hash: z.string().max(64) }),
  },
  // Webhook subscriptions (docs/design.md §2.13): the URL's host only, never the secret; deliveries are not events.
  'webhook.created': {
    target: 'webhook',
    details: z.strictObject({ host: z.string().max(255), events: z.array(z.string().max(64)).max(64) }),
  },
  'webhook.updated': { target: 'webhook', details: z.strictObject({ fields: fieldNames, enabled: z.boolean() }) },
  'webhook.deleted': { target: 'webhook', details: z.strictObject({}) },
  'webhook.secret_rotated': { target: 'webhook', details: z.strictObject({ previous_expires_at: z.string().max(32) }) },
  'keys.master_rotated': {
    target: 'key',
    details: z.strictObject({ kek_id: z.string().max(64), data_keys_rewrapped: z.number().int(), vault_keys_resealed: z.number().int() }),
  },
  'keys.data_key_rotated': {
    target: 'key',
    details: z.strictObject({
      fleet_id: z.string().max(32),
      data_key_id: z.string().max(32),
      rows_resealed: z.number().int(),
      destroyed_data_key_ids: z.array(z.string().max(32)).max(16),
      resumed: z.boolean(),
    }),
  },
  'keys.signing_rotated': {
    target: 'key',
    details: z.strictObject({ kid: z.string().max(64), retired_kids: z.array(z.string().max(64)).max(16), retires_at: z.string().max(32) }),
  },
} as const satisfies Record<string, { target: string; details: z.ZodType }>;

export type AuditAction = keyof typeof auditActions;
export type AuditDetails<A extends AuditAction> = z.infer<(typeof auditActions)[A]['details']>;
export const auditActionNames = Object.keys(auditActions) as AuditAction[];

export interface AuditActor {
  type: 'client' | 'cli' | 'system' | 'person';
  id: string;
  /** A person's email or name (docs/design.md §2.11); absent for every other actor. */
  label?: string;
}

export interface AuditTarget {
  type: string;
  /** Null only for what was never stored (a credential refused by its brand at create). */
  id: string | null;
  brand?: string | undefined;
}
