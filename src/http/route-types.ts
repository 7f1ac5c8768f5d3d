import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { type ProblemCode, problemTypes } from '../core/app-error.js';

/** The app as route modules see it: zod schemas type the handlers. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** RFC 9457 body, as declared in route schemas (documentation and serialization). */
export const problemSchema = z
  .object({
    type: z
      .string()
      .describe('The problem type, a URI reference (`/problems/<slug>`): clients branch on it; GET it for a page describing it'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    request_id: z.string(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
    errors_truncated: z.number().int().optional(),
    vehicle_count: z.number().int().optional(),
    vehicle_ids: z.array(z.string()).optional(),
  })
  .loose();

/** The OAuth 2.0 scheme of the OpenAPI document; every protected operation names it with its scope (security matrix test). */
export const OAUTH2_SCHEME = 'oauth2';

/** A bearer token of the oauth2 scheme; the OpenAPI transform fills in the route's `config.scope`. */
export const bearerSecurity = [{ [OAUTH2_SCHEME]: [] }];

/**
 * The token endpoint: HTTP Basic, or no HTTP authentication at all when the client authenticates in the body
 * (client_secret_post, private_key_jwt) or presents a jwt-bearer assertion (the empty requirement, OpenAPI 3.1 §4.8.30).
 */
export const tokenEndpointSecurity: { [scheme: string]: string[] }[] = [{ clientSecretBasic: [] }, {}];

/**
 * The problem types a declared problem response stands for, carried by the response object itself (a symbol key:
 * invisible to the serializer and to the document) rather than in a registry filled at import time.
 */
const PROBLEM_TYPES = Symbol('problem types');

/** Marks `response` as standing for `codes`: the OpenAPI transform lists them as its `type` enum. */
export function withProblemTypes<R extends object>(response: R, codes: ProblemCode[]): R {
  return Object.assign(response, { [PROBLEM_TYPES]: codes });
}

/** The problem types a response entry was declared with (`withProblemTypes`), if any: read by the OpenAPI transform. */
export function problemTypesOf(entry: unknown): ProblemCode[] | undefined {
  return typeof entry === 'object' && entry !== null ? (entry as { [PROBLEM_TYPES]?: ProblemCode[] })[PROBLEM_TYPES] : undefined;
}

/**
 * Response schemas for the problem types a route answers with beyond the common ones
 * (authentication, body parsing, 429, 5xx: those the OpenAPI transform derives from the route).
 * Grouped by status; bodies are serialized through the loose `problemSchema`.
 */
export function problemResponses(...codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) byStatus.set(problemTypes[code].status, [...(byStatus.get(problemTypes[code].status) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => {
      const response = {
        description: list.map((c) => `/problems/${c}`).join(', '),
        content: { 'application/problem+json': { schema: problemSchema } },
      };
      return [status, withProblemTypes(response, list)];
    }),
  );
}
