import type { z } from 'zod';
import { AppError, type FieldError, validationFailed } from './app-error.js';

/** JSON Pointer (RFC 6901) for a zod issue path, under an optional prefix such as `/query`. */
export function pointerFor(path: readonly PropertyKey[], prefix = ''): string {
  return prefix + path.map((p) => '/' + String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('');
}

/** The value at a zod issue path inside the parsed input; undefined when the key is absent. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Turns zod issues into the `errors` member of a validation problem; unknown keys get one entry each.
 * `input` is what was parsed: zod 4 issues do not carry the input, and only it tells a missing
 * field ("is required") from a value of the wrong type.
 */
export function fieldErrorsFromIssues(issues: readonly z.core.$ZodIssue[], prefix: string, input: unknown): FieldError[] {
  const errors: FieldError[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        errors.push({ pointer: pointerFor([...issue.path, key], prefix), detail: 'is not a known field' });
      }
    } else if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) {
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
  if (!result.success) throw validationFailed(fieldErrorsFromIssues(result.error.issues, prefix, value));
  return result.data;
}

/**
 * Parses a JSON request body strictly: a duplicate member name is refused (JSON.parse would keep
 * the last one, silently dropping a value, which is what strict bodies exist to prevent), and so
 * are `__proto__` and `constructor.prototype` members (prototype poisoning, as fastify's default
 * parser refuses them).
 */
export function parseJsonStrict(text: string): unknown {
  const malformed = (detail: string) => new AppError('malformed-request', detail);
  if (text.trim() === '') throw malformed('The request body is empty; send a JSON object.');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed('The request body is not valid JSON.');
  }
  // The text is valid JSON now, so a shallow scan can tell member names from string values.
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '{') {
      stack.push(new Set());
      expectKey = true;
    } else if (c === '[') {
      stack.push(null);
      expectKey = false;
    } else if (c === '}' || c === ']') {
      stack.pop();
      expectKey = false;
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] instanceof Set;
    } else if (c === '"') {
      const start = i;
      for (i++; text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const members = stack[stack.length - 1];
      if (expectKey && members) {
        const name = JSON.parse(text.slice(start, i + 1)) as string;
        if (name === '__proto__') throw malformed('The request body has a forbidden "__proto__" member.');
        if (members.has(name)) throw malformed(`The request body has the member "${name.slice(0, 100)}" twice.`);
        members.add(name);
        expectKey = false;
      }
    }
  }
  assertNoConstructorPrototype(value);
  return value;
}

/** No request body of this API nests anywhere near this deep; deeper is refused, not walked. */
const MAX_BODY_DEPTH = 32;

/** Walks with an explicit stack: a recursive walk let a 64 KiB body of brackets overflow the call stack (500). */
function assertNoConstructorPrototype(root: unknown): void {
  const malformed = (detail: string) => new AppError('malformed-request', detail);
  const pending: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (pending.length > 0) {
    const { value, depth } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) throw malformed(`The request body nests deeper than ${MAX_BODY_DEPTH} levels.`);
    const record = value as Record<string, unknown>;
    const ctor = Object.hasOwn(record, 'constructor') ? record.constructor : undefined;
    if (ctor !== null && typeof ctor === 'object' && Object.hasOwn(ctor, 'prototype')) {
      throw malformed('The request body has a forbidden "constructor.prototype" member.');
    }
    for (const child of Object.values(record)) pending.push({ value: child, depth: depth + 1 });
  }
}
