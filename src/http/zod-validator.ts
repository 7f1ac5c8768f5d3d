import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { AppError, type FieldError, validationFailed } from '../core/app-error.js';
import { fieldErrorsFromIssues, pointerFor } from '../core/validation.js';

const prefixByPart: Record<string, string> = { body: '', querystring: '/query', params: '/params', headers: '/headers' };

/**
 * Strings holding U+0000 anywhere in a request part. PostgreSQL text cannot store it (it answered
 * 500, https://www.postgresql.org/docs/current/datatype-character.html); it is refused on both
 * engines alike, before any schema or query sees it. The walk is iterative; bodies are already
 * bounded in depth by parseJsonStrict.
 */
function nulCharacterErrors(data: unknown, prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  const pending: { value: unknown; path: PropertyKey[] }[] = [{ value: data, path: [] }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) errors.push({ pointer: pointerFor(path, prefix), detail: 'must not contain U+0000' });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) pending.push({ value: child, path: [...path, key] });
    }
  }
  return errors.reverse();
}

/**
 * A schema's own `detail` for the 422 it refuses with, from its field errors (undefined: the default detail, which only
 * says fields are invalid). Registered by the route that uses the schema; not part of the API document.
 */
export const refusalDetails = z.registry<{ detail: (errors: FieldError[]) => string | undefined }>();

/**
 * Route schema validation through zod, failing as our own 422 problem with one
 * `{pointer, detail}` per issue (fastify passes an Error result through unchanged).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const prefix = prefixByPart[httpPart ?? 'body'] ?? '';
    const nul = nulCharacterErrors(data, prefix);
    if (nul.length > 0) {
      // A malformed id names no resource (404), as everywhere else (README).
      return { error: httpPart === 'params' ? new AppError('not-found', 'No resource has that id.') : validationFailed(nul) };
    }
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const errors = fieldErrorsFromIssues(result.error.issues, prefix, data);
    return { error: validationFailed(errors, refusalDetails.get(schema)?.detail(errors)) };
  };
