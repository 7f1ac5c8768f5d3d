import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { projectRoot } from '../../src/db/project-root.js';

/**
 * The operationIds are part of the contract: generated clients name their methods after
 * them, so renaming one breaks every caller. A new route adds its id here; docs/api.md's route
 * table is regenerated from openapi.yaml (scripts/docs-tables.ts).
 */
const operationIds: Record<string, string> = {
  'POST /{brand}/credentials': 'createCredential',
  'GET /{brand}/credentials': 'listBrandCredentials',
  'GET /credentials': 'listCredentials',
  'GET /{brand}/credentials/{id}': 'getCredential',
  'PATCH /{brand}/credentials/{id}': 'rotateCredentialSecret',
  'DELETE /{brand}/credentials/{id}': 'deleteCredential',
  'GET /{brand}/credentials/{id}/secrets': 'revealCredentialSecrets',
  'GET /{brand}/credentials/{id}/versions': 'listCredentialVersions',
  'POST /{brand}/credentials/{id}/versions/{n}/restore': 'restoreCredentialVersion',
  'POST /{brand}/credentials/{id}/token': 'exchangeCredentialToken',
  'GET /tesla/credentials/{id}/public-key': 'getTeslaPublicKey',
  'POST /vehicles': 'createVehicle',
  'GET /vehicles': 'listVehicles',
  'GET /vehicles/{id}': 'getVehicle',
  'PATCH /vehicles/{id}': 'updateVehicle',
  'DELETE /vehicles/{id}': 'deleteVehicle',
  'POST /clients': 'createClient',
  'GET /clients': 'listClients',
  'GET /clients/{id}': 'getClient',
  'DELETE /clients/{id}': 'deleteClient',
  'POST /clients/{id}/secret': 'rotateClientSecret',
  'POST /sign-in-rules': 'createSignInRule',
  'GET /sign-in-rules': 'listSignInRules',
  'DELETE /sign-in-rules/{id}': 'deleteSignInRule',
  'GET /people': 'listPeople',
  'GET /audit': 'listAuditEvents',
  'GET /audit/head': 'getAuditHead',
  'GET /events': 'watchEvents',
  'POST /webhooks': 'createWebhook',
  'GET /webhooks': 'listWebhooks',
  'GET /webhooks/{id}': 'getWebhook',
  'PATCH /webhooks/{id}': 'updateWebhook',
  'DELETE /webhooks/{id}': 'deleteWebhook',
  'POST /webhooks/{id}/secret': 'rotateWebhookSecret',
  'GET /webhooks/{id}/deliveries': 'listWebhookDeliveries',
  'POST /webhooks/{id}/deliveries/{deliveryId}/retry': 'retryWebhookDelivery',
  'POST /oauth/token': 'issueToken',
  'POST /oauth/device_authorization': 'authorizeDevice',
  'GET /auth/sign-in-options': 'getSignInOptions',
  'GET /auth/authorize': 'authorizeConsole',
  'GET /auth/oidc/callback': 'finishProviderSignIn',
  'GET /auth/device': 'verifyDevice',
  'POST /auth/device/confirm': 'confirmDevice',
  'POST /v1/auth_tokens': 'issueAuthToken',
  'GET /.well-known/jwks.json': 'getJwks',
  'GET /brands': 'listBrands',
  'GET /problems/{slug}': 'getProblemType',
  'GET /healthz': 'getLiveness',
  'GET /readyz': 'getReadiness',
  'GET /metrics': 'getMetrics',
  'GET /openapi.yaml': 'getOpenApiYaml',
  'GET /openapi.json': 'getOpenApiJson',
};

type Spec = { paths: Record<string, Record<string, { operationId?: string }>> };
const spec = YAML.parse(fs.readFileSync(path.join(projectRoot(), 'openapi.yaml'), 'utf8')) as Spec;
const operations = Object.entries(spec.paths).flatMap(([p, ops]) =>
  Object.entries(ops).map(([method, op]) => [`${method.toUpperCase()} ${p}`, op.operationId] as const),
);

describe('operationIds', () => {
  it('are exactly the contract list: none renamed, none missing, every operation listed', () => {
    expect(Object.fromEntries(operations)).toEqual(operationIds);
  });

  it('are unique camelCase method names', () => {
    const ids = operations.map(([, id]) => id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
  });
});
