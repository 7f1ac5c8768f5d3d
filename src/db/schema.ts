import type { Generated } from 'kysely';

/** Table shapes as kysely sees them. Keep in step with `migrations/`. */
export interface FleetsTable {
  id: string;
  name: string;
  created_at: string;
}

/** A fleet's data keys (several while a re-encryption runs; the newest seals), migration 0006. */
export interface FleetDataKeysTable {
  id: string;
  fleet_id: string;
  kek_id: string;
  wrapped_key: Buffer;
  created_at: string;
}

export interface VaultKeysTable {
  id: string;
  purpose: 'token-signing' | 'client-secret-hash' | 'audit-hmac';
  kek_id: string;
  sealed_key: Buffer;
  public_jwk: string | null;
  created_at: string;
  retired_at: string | null;
}

export interface ApiClientsTable {
  id: string;
  fleet_id: string;
  name: string;
  kind: 'secret' | 'key';
  secret_hash: Buffer | null;
  public_jwk: string | null;
  scopes: string;
  created_at: string;
  deleted_at: string | null;
  /** JSON `{brands?, credential_ids?}` (docs/grants.md); null: the whole fleet. */
  restriction: string | null;
}

export interface CredentialsTable {
  id: string;
  fleet_id: string;
  brand: string;
  name: string | null;
  name_key: string;
  name_missing: number;
  fields: string;
  sealed_secrets: Buffer;
  secret_version: number;
  created_at: string;
  updated_at: string;
  secret_updated_at: string;
  /** JSON actor `{type, id}` who made the current secret version (migration 0004); null before it. */
  secret_created_by: string | null;
  /** Last brand exchange verdict (migration 0005, docs/design.md §2.9). */
  status: 'unknown' | 'authorized' | 'rejected' | 'unreachable';
  status_checked_at: string | null;
  /** The data key sealed_secrets is under (migration 0006); null once that key is destroyed. */
  data_key_id: string | null;
  /** How many vehicles reference it (migration 0013), kept by the vehicles' own transactions (vehicles.repo.ts). */
  vehicle_count: Generated<number>;
}

export interface VehiclesTable {
  id: string;
  fleet_id: string;
  telematics_brand: string;
  telematics_unit_id: string;
  credentials_id: string;
  vin: string | null;
  name: string | null;
  created_at: string;
  updated_at: string;
}

/** Single-use assertion ids (migration 0002). */
export interface AssertionJtisTable {
  client_id: string;
  jti: string;
  expires_at: string;
}

export interface IdempotencyKeysTable {
  fleet_id: string;
  idempotency_key: string;
  request_hash: string;
  response_body: string;
  created_at: string;
}

/** One audit event (migration 0004): `chain` is the fleet id, or 'system'. */
export interface AuditEventsTable {
  id: string;
  chain: string;
  fleet_id: string | null;
  seq: number;
  at: string;
  actor_type: 'client' | 'cli' | 'system' | 'person';
  actor_id: string;
  /** A person actor's email or name (migration 0009); null for every other actor. */
  actor_label: string | null;
  action: string;
  target_type: string;
  target_id: string;
  target_brand: string | null;
  request_id: string | null;
  /** The caller's own X-Request-Id (migration 0008); null when it sent none. */
  client_request_id: string | null;
  outcome: 'success' | 'failure';
  details: string;
  prev_hash: string;
  hash: string;
}

/** The last event of each chain (migration 0004). */
export interface AuditHeadsTable {
  chain: string;
  seq: number;
  hash: string;
  at: string | null;
}

/** Earlier sealed secret versions of a credential (migration 0004). */
export interface CredentialSecretVersionsTable {
  credential_id: string;
  fleet_id: string;
  secret_version: number;
  sealed_secrets: Buffer;
  created_at: string;
  created_by: string | null;
  /** The data key sealed_secrets is under (migration 0006); null once that key is destroyed. */
  data_key_id: string | null;
}

/** A sign-in rule (migration 0009, docs/design.md §2.11): who may act in a fleet, with which scopes. */
export interface SignInRulesTable {
  id: string;
  fleet_id: string;
  claim: string;
  equals: string;
  scopes: string;
  /** JSON `{brands?, credential_ids?}` (docs/grants.md); null: the whole fleet. */
  restriction: string | null;
  created_at: string;
  deleted_at: string | null;
}

/** A person of the identity provider (migration 0009): issuer and subject identify them. */
export interface PeopleTable {
  id: string;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  first_signed_in_at: string;
  last_signed_in_at: string;
}

/** The fleets a person signed in to (migration 0009). */
export interface FleetPeopleTable {
  fleet_id: string;
  person_id: string;
  first_signed_in_at: string;
  last_signed_in_at: string;
}

/** A round trip to the identity provider, by its state's hash (migration 0014, docs/sign-in.md). */
export interface SignInStatesTable {
  state_hash: string;
  nonce: string;
  code_verifier: string;
  purpose: 'console' | 'device';
  redirect_uri: string | null;
  client_state: string | null;
  code_challenge: string | null;
  user_code: string | null;
  expires_at: string;
}

/** The console's one-time codes (migration 0014); `identity` is JSON. */
export interface SignInCodesTable {
  code_hash: string;
  identity: string;
  redirect_uri: string;
  code_challenge: string;
  expires_at: string;
}

/** Device authorizations, RFC 8628 (migration 0014). */
export interface DeviceAuthorizationsTable {
  device_code_hash: string;
  user_code: string;
  fleet_id: string | null;
  status: 'pending' | 'signed_in' | 'approved' | 'denied';
  identity: string | null;
  confirm_hash: string | null;
  interval_seconds: number;
  last_polled_at: string | null;
  expires_at: string;
}

/** A fleet's webhook subscription (migration 0010, docs/webhooks.md); `events` is JSON: actions or ["*"]. */
export interface WebhooksTable {
  id: string;
  fleet_id: string;
  url: string;
  events: string;
  description: string | null;
  enabled: number;
  disabled_reason: string | null;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

/** A webhook's signing secrets, sealed (migration 0010); `expires_at` null: the current one. */
export interface WebhookSecretsTable {
  webhook_id: string;
  fleet_id: string;
  version: number;
  sealed_secret: Buffer;
  data_key_id: string | null;
  created_at: string;
  expires_at: string | null;
}

/** The outbox: one delivery of one audit event to one webhook (migration 0010). */
export interface WebhookDeliveriesTable {
  id: string;
  fleet_id: string;
  webhook_id: string;
  event_id: string;
  type: string;
  state: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: string;
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
  created_at: string;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: Generated<string>;
}

export interface DB {
  fleets: FleetsTable;
  fleet_data_keys: FleetDataKeysTable;
  vault_keys: VaultKeysTable;
  api_clients: ApiClientsTable;
  credentials: CredentialsTable;
  vehicles: VehiclesTable;
  schema_migrations: SchemaMigrationsTable;
  assertion_jtis: AssertionJtisTable;
  idempotency_keys: IdempotencyKeysTable;
  audit_events: AuditEventsTable;
  audit_heads: AuditHeadsTable;
  credential_secret_versions: CredentialSecretVersionsTable;
  sign_in_rules: SignInRulesTable;
  people: PeopleTable;
  fleet_people: FleetPeopleTable;
  webhooks: WebhooksTable;
  webhook_secrets: WebhookSecretsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  sign_in_states: SignInStatesTable;
  sign_in_codes: SignInCodesTable;
  device_authorizations: DeviceAuthorizationsTable;
}
