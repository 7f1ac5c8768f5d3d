import { z } from 'zod';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldError } from '../core/app-error.js';
import { brands } from '../brands/brand-registry.js';
import type { Brand } from '../brands/define-brand.js';
import type { ExchangeService } from '../exchange/exchange.service.js';
import { actorContext, grantOf } from '../http/auth.js';
import { componentSchemas } from '../http/openapi.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import { refusalDetails, zodValidatorCompiler } from '../http/zod-validator.js';
import { brandConstraint } from './brand-constraint.js';
import { assertMayCreate } from './credential-grant.js';
import { patchRefusalDetail } from './credential-fields.js';
import { bodiesOf, bodySchemaName } from './credential-bodies.js';
import type { CredentialService } from './credentials.service.js';
import { brandBodySchema, brandParamsSchema, credentialParamsSchema, credentialViewSchema } from './credentials.schemas.js';
import { credentialEtag } from './etag.js';
import { idempotencyKeySchema } from './idempotency.js';

// docs/design.md §2.9 verify on write: exchange with the new secrets first; a refusal stores nothing.
const verifyQuery = z.object({
  verify: z.enum(['true', 'false']).optional().describe('true: exchange with the brand first; a refusal is 422 and stores nothing'),
});
// Each verifying write calls the brand with the given secrets: its own small limit (rate-limit.ts), or it would be a password oracle.
const callsBrand = (request: { query: unknown }) => (request.query as { verify?: string }).verify === 'true';
const verifyProblems = ['credentials-rejected-by-brand', 'exchange-not-supported', 'brand-unavailable', 'brand-timeout'] as const;
const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional() }).loose();
const idempotencyHeaders = z
  .object({
    'idempotency-key': idempotencyKeySchema
      .optional()
      .describe('Retries with the same key and body within 24 h answer the first response; another body is 422 idempotency-key-reused'),
  })
  .loose();
const tags = ['credentials'];

// The credential the OpenAPI document shows: the first catalogue entry that gives an example.
const exampleBrand = brands.find((brand) => brand.example !== undefined);
const example = exampleBrand?.example ?? { name: 'Depot', values: {} };
const viewExample = {
  id: '01F6Z8N4V2Q3R5T7W9X1Y3Z5A7',
  brand: exampleBrand?.slug,
  name: example.name,
  // The view shows identity and setting fields, never a secret.
  ...Object.fromEntries(Object.entries(example.values).filter(([field]) => !exampleBrand?.secretFields.includes(field))),
  secret_version: 1,
  vehicle_count: 0,
  created_at: '2026-11-23T10:00:00.000Z',
  updated_at: '2026-11-23T10:00:00.000Z',
  secret_updated_at: '2026-11-23T10:00:00.000Z',
  status: 'unknown',
  status_checked_at: null,
};

// Each brand's bodies under their own names, and the operation's body: any of them, the one of the brand in the path.
for (const brand of brands) {
  componentSchemas.add(bodiesOf(brand).create, { id: bodySchemaName(brand, 'CredentialCreate') });
  componentSchemas.add(bodiesOf(brand).rotate, { id: bodySchemaName(brand, 'SecretRotate') });
  // A field PATCH cannot change is refused as the service refuses it (docs/design.md §2.1): naming the rotatable ones.
  const fixed = (error: FieldError) => error.pointer !== '' && !brand.rotatableFields.includes(error.pointer.slice(1));
  refusalDetails.add(bodiesOf(brand).rotate, {
    detail: (errors) => (errors.some(fixed) ? patchRefusalDetail(brand) : undefined),
  });
}
const anyBrand = (body: 'create' | 'rotate', what: string) => {
  const named = body === 'create' ? 'CredentialCreate' : 'SecretRotate';
  return z
    .union(brands.map((brand) => bodiesOf(brand)[body]))
    .describe(`${what}: the schema of the brand in the path (\`<Brand>${named}\`)`);
};
const createBody = anyBrand('create', 'The brand\u2019s identity, setting and secret fields, and an optional `name`');
const rotateBody = anyBrand('rotate', 'The brand\u2019s rotatable secret fields, at least one');
componentSchemas.add(createBody, { id: 'CredentialCreate', examples: [{ name: example.name, ...example.values }] });
componentSchemas.add(rotateBody, { id: 'SecretRotate', examples: [{ client_secret: 'rotated-secret' }] });

// Built once: every brand's route shares the same response schemas (and so their compiled serializers).
const createResponses = {
  201: credentialViewSchema.meta({ description: 'Stored: the credential view (no secret)', examples: [viewExample] }),
  ...problemResponses('unknown-brand', 'not-found', 'name-already-exists', 'limit-exceeded', 'idempotency-key-reused', ...verifyProblems),
};
const rotateResponses = {
  200: credentialViewSchema.describe('Rotated: the credential view with the new `secret_version` and `ETag`'),
  ...problemResponses('not-found', 'unknown-brand', 'precondition-failed', ...verifyProblems),
};
const createDoc = {
  tags,
  operationId: 'createCredential',
  summary: 'Store a credential of a brand',
  description:
    'The body holds `name` (optional) and the brand\u2019s identity, setting and secret fields: the schema named after the brand ' +
    '(`NiuCredentialCreate`, …; `GET /brands` describes the same fields); unknown fields are 422. ' +
    'The secrets are sealed at rest and never returned. Answers the credential view with its URL in `Location` and its `ETag`. ' +
    'A client restricted to other brands gets 404, one restricted to credential ids 403 (docs/grants.md).',
  security: bearerSecurity,
};
const rotateDoc = {
  tags,
  operationId: 'rotateCredentialSecret',
  summary: "Rotate a credential's secrets",
  description:
    'Accepts only the brand\u2019s rotatable secret fields (the schema named after the brand: `NiuSecretRotate`, …); any other ' +
    'field is 422 (a different client_id is a different credential). ' +
    '`secret_version` goes up by one and the earlier secrets are kept as a version. A stale `If-Match` is 412.',
  security: bearerSecurity,
};

/** The body as the client sent it, for the Idempotency-Key fingerprint: the route hands the service its parsed value. */
const sentBodies = new WeakMap<object, unknown>();

/**
 * POST and PATCH of `/{brand}/credentials`: one route per catalogue brand (the `brand` constraint, brand-constraint.ts,
 * picks it, aliases and any spelling of the slug included), each validating the body with its brand's schema
 * (credential-bodies.ts); the API document shows one operation whose body is any brand's, by name. An unknown brand
 * reaches the unconstrained route: 404 `unknown-brand` as from every other credential route.
 */
export function registerCredentialWriteRoutes(app: App, service: CredentialService, exchange: Pick<ExchangeService, 'verify'>) {
  if (!app.hasConstraintStrategy(brandConstraint.name)) app.addConstraintStrategy(brandConstraint);
  const verifier = (request: Parameters<typeof actorContext>[0], query: { verify?: string | undefined }) =>
    query.verify === 'true'
      ? (input: Parameters<ExchangeService['verify']>[1]) => exchange.verify(actorContext(request), input)
      : undefined;

  const create = (brand: Brand | undefined) =>
    app.post('/:brand/credentials', {
      config: { scope: 'credentials:write', callsBrand },
      constraints: brand && { brand: brand.slug },
      validatorCompiler: brand ? undefined : (unknownBrandValidator as never),
      // Before the body is validated, as before it was: a client restricted to other brands learns nothing more than 404.
      preValidation: async (request) => {
        sentBodies.set(request, request.body);
        if (brand) assertMayCreate(grantOf(request), brand);
      },
      schema: {
        ...createDoc,
        hide: brand !== undefined,
        params: brandParamsSchema,
        querystring: verifyQuery,
        headers: idempotencyHeaders,
        body: brand ? bodiesOf(brand).create : createBody,
        response: createResponses,
      },
      handler: async (request, reply) => {
        const view = await service.create(
          actorContext(request),
          request.params.brand,
          sentBodies.get(request) as Record<string, unknown>,
          request.headers['idempotency-key'],
          verifier(request, request.query),
        );
        return reply.code(201).header('location', `/${view.brand}/credentials/${view.id}`).header('etag', credentialEtag(view)).send(view);
      },
    });

  const rotate = (brand: Brand | undefined) =>
    app.patch('/:brand/credentials/:id', {
      config: { scope: 'credentials:write', callsBrand },
      constraints: brand && { brand: brand.slug },
      validatorCompiler: brand ? undefined : (unknownBrandValidator as never),
      schema: {
        ...rotateDoc,
        hide: brand !== undefined,
        params: credentialParamsSchema,
        querystring: verifyQuery,
        headers: ifMatchHeaders,
        body: brand ? bodiesOf(brand).rotate : rotateBody,
        response: rotateResponses,
      },
      handler: async (request, reply) => {
        const { brand: slug, id } = request.params;
        const verify = verifier(request, request.query);
        const body = request.body as Record<string, unknown>;
        const view = await service.rotate(actorContext(request), slug, id, body, request.headers['if-match'], verify);
        return reply.header('etag', credentialEtag(view)).send(view);
      },
    });

  for (const brand of [...brands, undefined]) {
    create(brand);
    rotate(brand);
  }
}

/**
 * The unconstrained routes answer only brands the catalogue does not know (404 `unknown-brand`, from the service): they
 * check the body is an object, as every credential route did before a brand's schema applied, and document the operation
 * with every brand's body.
 */
const unknownBrandValidator: FastifySchemaCompiler<z.ZodType> = (route) =>
  zodValidatorCompiler(route.httpPart === 'body' ? { ...route, schema: brandBodySchema } : route);
