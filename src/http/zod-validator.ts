import type { FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { validationFailed } from './app-error.js';
import { fieldErrorsFromIssues } from './validation.js';

const prefixByPart: Record<string, string> = { body: '', querystring: '/query', params: '/params', headers: '/headers' };

/**
 * Route schema validation through zod, failing as our own 422 problem with one
 * `{pointer, detail}` per issue (fastify passes an Error result through unchanged).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: validationFailed(fieldErrorsFromIssues(result.error.issues, prefixByPart[httpPart ?? 'body'] ?? '', data)) };
  };
