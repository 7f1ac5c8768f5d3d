import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { allScopes, scopeMeanings } from '../core/scopes.js';
import { type ProblemCode, problemTypes } from '../core/app-error.js';
import { OAUTH2_SCHEME, problemSchema, problemTypesOf } from './route-types.js';

const PROBLEM_REF = '#/components/schemas/Problem';
const COMPONENTS = '#/components/schemas/';

/**
 * Request bodies the document shows once, under `components.schemas` by their `id`: a route whose body is registered
 * here references it (`$ref`), with the `examples` given here beside the reference, and a schema registered here that
 * uses another one references it too (a union of named bodies is an `anyOf` of references). Generators name their
 * types after the ids.
 */
export const componentSchemas = z.registry<{ id: string; examples?: unknown[] }>();

/** The registered schemas as JSON Schema (the input side: these are request bodies), by id. */
function componentsOf(): Record<string, unknown> {
  const { schemas } = z.toJSONSchema(componentSchemas, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: (id) => `${COMPONENTS}${id}`,
  });
  return Object.fromEntries(Object.entries(schemas).map(([id, { $id: _id, $schema: _schema, ...schema }]) => [id, schema]));
}

/** The whole document: `openapiDocument` with the registered components beside `Problem` (@fastify/swagger's transformObject). */
export function transformDocument({ openapiObject }: { openapiObject: Partial<typeof openapiDocument> }) {
  const components = openapiObject.components ?? {};
  return { ...openapiObject, components: { ...components, schemas: { ...components.schemas, ...componentsOf() } } };
}

/** The document around the paths: info, tags, the shared Problem schema and the security schemes. */
export const openapiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'fleetvault',
    version: '0.1.0',
    description:
      'Credential vault for fleets: telematics makers\u2019 API credentials, encrypted at rest. ' +
      'Errors are RFC 9457 problem+json; clients branch on `type` (`/problems/<slug>`). ' +
      'The token endpoint alone answers RFC 6749 §5.2 bodies (`{error, error_description}`).',
  },
  // Relative: the vault that serves this document (each operator runs its own), so Swagger UI and generated clients call it
  // and resolve the relative tokenUrl against it.
  servers: [{ url: '/', description: 'The vault serving this document' }],
  tags: [
    { name: 'credentials', description: 'A fleet\u2019s credentials per brand (INVERS style); secrets are never returned.' },
    { name: 'vehicles', description: 'Vehicles and the credentials they are reached with.' },
    { name: 'audit', description: 'The fleet\u2019s audit trail: a hash chain of every change and every use of a secret.' },
    { name: 'events', description: 'The watch stream: the fleet\u2019s audit events as Server-Sent Events, live and resumable.' },
    { name: 'webhooks', description: 'Signed change events pushed to subscribers (Standard Webhooks), and their deliveries.' },
    { name: 'clients', description: 'The fleet\u2019s API clients: secret clients and key clients (service accounts).' },
    { name: 'people', description: 'People who sign in through the organisation\u2019s identity provider, and the rules that let them.' },
    {
      name: 'sign-in',
      description:
        'A person signing in at the identity provider: the console\u2019s code flow and the device verification pages (docs/sign-in.md).',
    },
    { name: 'tokens', description: 'OAuth 2.0 access tokens and the keys that verify them.' },
    { name: 'brands', description: 'The brand catalogue.' },
    { name: 'problems', description: 'What each problem `type` means: the pages the type URIs resolve to.' },
    { name: 'operations', description: 'Health, readiness, metrics and this document.' },
  ],
  components: {
    schemas: { Problem: z.toJSONSchema(problemSchema, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any' }) },
    securitySchemes: {
      clientSecretBasic: {
        type: 'http',
        scheme: 'basic',
        description: 'Token endpoint client authentication (RFC 6749 §2.3.1): client_id and client_secret, form-encoded, as HTTP Basic.',
      },
      // Each protected operation names this scheme with the one scope it needs, so Swagger UI's Authorize
      // obtains a token from a client id and secret and generators know the scopes (OpenAPI 3.1 §4.8.30).
      [OAUTH2_SCHEME]: {
        type: 'oauth2',
        description:
          'Access tokens (ES256 JWTs, 900 s) from the client credentials grant (RFC 6749 §4.4), sent as `Authorization: Bearer`. ' +
          'Besides HTTP Basic the token endpoint accepts client_secret_post (client_id and client_secret in the body) and ' +
          'private_key_jwt for key clients (client_assertion_type urn:ietf:params:oauth:client-assertion-type:jwt-bearer and an ES256 ' +
          'client_assertion, RFC 7523 §2.2). Key clients may also use the JWT bearer grant (RFC 7523 §2.1) on `POST /oauth/token` ' +
          'or High Mobility\u2019s `POST /v1/auth_tokens`; both are described on those operations.',
        flows: {
          clientCredentials: {
            tokenUrl: '/oauth/token',
            scopes: Object.fromEntries(allScopes.map((scope) => [scope, scopeMeanings[scope]])),
          },
        },
        'x-token-endpoint-auth-methods-supported': ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
      },
    },
  },
} as unknown as NonNullable<FastifyDynamicSwaggerOptions['openapi']>;

interface RouteDoc {
  schema: Record<string, unknown> & { response?: Record<string, unknown>; body?: unknown; querystring?: unknown; params?: unknown };
  url: string;
  route: { method: string | string[]; config?: { scope?: string | readonly string[]; errorFormat?: unknown; rateLimitClass?: string } };
}

/** Problem types every route of a kind can answer, derived from what makes them happen. */
function commonProblems(doc: RouteDoc): ProblemCode[] {
  const codes: ProblemCode[] = ['internal-server-error'];
  const { scope, rateLimitClass } = doc.route.config ?? {};
  // Every route but the probes counts against the per-address limit, authenticated or not (docs/architecture.md "Route config").
  if (rateLimitClass !== 'none') codes.push('too-many-requests');
  if (scope !== undefined) codes.push('missing-token', 'invalid-token', 'insufficient-scope', 'service-unavailable');
  if (doc.schema.body !== undefined) codes.push('malformed-request', 'payload-too-large', 'unsupported-media-type', 'validation-failed');
  if (doc.schema.querystring !== undefined || doc.schema.params !== undefined) codes.push('validation-failed');
  // A resource named in the path may not exist (or belong to another fleet: also 404, docs/design.md §1).
  if (doc.url.includes('/:id')) codes.push('not-found');
  return codes;
}

function problemResponse(codes: ProblemCode[]) {
  const types = codes.map((code) => `/problems/${code}`);
  return {
    // Markdown links: Swagger UI renders them, and each leads to the problem type's page.
    description: codes.map((code) => `[\`/problems/${code}\`](/problems/${code}) (${problemTypes[code].title})`).join(', '),
    content: {
      'application/problem+json': {
        schema: { allOf: [{ $ref: PROBLEM_REF }, { type: 'object', properties: { type: { enum: types } } }] },
      },
    },
  };
}

/**
 * zod → JSON Schema for each route, plus its problem responses: the ones the route declares
 * (`problemResponses`) merged with those its scope, body and parameters imply, each status
 * listing its problem `type` values as an enum, so a client (and the contract test) knows them all.
 */
export function transformRoute(doc: RouteDoc & { openapiObject: unknown }) {
  const declared = new Map<number, ProblemCode[]>();
  const response: Record<string, unknown> = {};
  for (const [status, entry] of Object.entries(doc.schema.response ?? {})) {
    const codes = problemTypesOf(entry);
    if (codes) declared.set(Number(status), codes);
    else response[status] = entry;
  }
  const named = doc.schema.body instanceof z.ZodType ? componentSchemas.get(doc.schema.body) : undefined;
  const body = named === undefined ? doc.schema.body : undefined;
  const result = jsonSchemaTransform({ ...doc, schema: { ...doc.schema, body, response } } as Parameters<typeof jsonSchemaTransform>[0]);
  if (doc.schema.hide === true) return result;
  // Routes with their own error bodies (RFC 6749, High Mobility) keep only what they declare.
  const ownErrorFormat = doc.route.config?.errorFormat !== undefined;
  for (const code of ownErrorFormat ? [] : commonProblems(doc)) {
    const status = problemTypes[code].status;
    if (response[String(status)] !== undefined) continue;
    declared.set(status, [...new Set([...(declared.get(status) ?? []), code])]);
  }
  const scope = doc.route.config?.scope;
  const schema = result.schema as Record<string, unknown> & { response?: Record<string, unknown> };
  if (named !== undefined) {
    const ref = { $ref: `${COMPONENTS}${named.id}` };
    // @fastify/swagger drops the siblings of a `$ref` and lifts a body's `examples` into the media type's `example`.
    schema.body = named.examples === undefined ? ref : { allOf: [ref], examples: named.examples };
  }
  schema.response = { ...schema.response };
  for (const status of [...declared.keys()].sort()) schema.response[String(status)] = problemResponse(declared.get(status)!);
  // Several scopes are alternatives: one security requirement each (OpenAPI 3.1 §4.8.30: any one of them satisfies).
  if (scope !== undefined) schema.security = (typeof scope === 'string' ? [scope] : scope).map((s) => ({ [OAUTH2_SCHEME]: [s] }));
  return result;
}
