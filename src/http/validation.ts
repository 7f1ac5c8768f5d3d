import type { z } from 'zod';
import { type FieldError, validationFailed } from './app-error.js';

/** JSON Pointer (RFC 6901) for a zod issue path, under an optional prefix such as `/query`. */
export function pointerFor(path: readonly PropertyKey[], prefix = ''): string {
  return prefix + path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/** Turns zod issues into the `errors` member of a validation problem; unknown keys get one entry each. */
export function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ pointer: pointerFor([...issue.path, key], prefix), detail: 'is not a known field' });
      }
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      errors.push({ pointer: pointerFor(issue.path, prefix), detail: 'is required' });
    } else {
      errors.push({ pointer: pointerFor(issue.path, prefix), detail: issue.message });
    }
  }
  return errors;
}

/** Parses with a zod schema, throwing a 422 `validation-failed` listing every problem. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, prefix = ''): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationFailed(fieldErrorsFromIssues(result.error.issues, prefix));
  return result.data;
}
