/** The problem types of docs/design.md §2.5: the only error codes the API answers with. */
export const problemTypes = {
  'malformed-request': { status: 400, title: 'Malformed request' },
  'missing-token': { status: 401, title: 'Missing bearer token' },
  'invalid-token': { status: 401, title: 'Invalid bearer token' },
  'insufficient-scope': { status: 403, title: 'Insufficient scope' },
  'not-found': { status: 404, title: 'Not found' },
  'unknown-brand': { status: 404, title: 'Unknown brand' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'name-already-exists': { status: 409, title: 'Name already exists' },
  'unique-identifier-already-exists': { status: 409, title: 'Unique identifier already exists' },
  'conflicting-resource': { status: 409, title: 'Conflicting resource' },
  'limit-exceeded': { status: 409, title: 'Limit exceeded' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  // 408 and 431 come only from the HTTP parser layer (src/http/client-error.ts).
  'request-timeout': { status: 408, title: 'Request timeout' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'Validation failed' },
  'request-header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'internal-server-error': { status: 500, title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  // Brand token exchange (docs/design.md §2.9).
  'exchange-not-supported': { status: 409, title: 'Exchange not supported' },
  'brand-rejected-credentials': { status: 409, title: 'Brand rejected the credentials' },
  'credentials-rejected-by-brand': { status: 422, title: 'Credentials rejected by the brand' },
  'brand-unavailable': { status: 502, title: 'Brand unavailable' },
  'brand-timeout': { status: 504, title: 'Brand timeout' },
} as const;

export type ProblemCode = keyof typeof problemTypes;

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request body, or `/query/<name>`, `/params/<name>` for the URL. */
  pointer: string;
  detail: string;
}

/**
 * Every expected failure of a request. One error handler renders it as
 * RFC 9457 problem+json; `extensions` become extra members (e.g. `vehicle_count`).
 */
export class AppError extends Error {
  override name = 'AppError';
  readonly status: number;
  /**
   * When to try again (RFC 9110 §10.2.3), for a 429 or 503: the one error handler renders it as `Retry-After`,
   * whatever layer threw it and whatever body format the route answers in.
   */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: ProblemCode,
    readonly detail: string,
    readonly extensions: Record<string, unknown> = {},
    options: {
      /** Only where a type has two statuses (`brand-unavailable`: 502, or 503 when the vault will not call the brand yet). */
      status?: number;
      retryAfterSeconds?: number;
    } = {},
  ) {
    super(detail);
    this.status = options.status ?? problemTypes[code].status;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * At most this many `errors` entries: a body of 5 000 unknown members must not answer a problem
 * document four times its size (error amplification); `errors_truncated` counts the rest.
 */
export const MAX_FIELD_ERRORS = 20;

export function validationFailed(errors: FieldError[], detail = 'The request has invalid fields.'): AppError {
  if (errors.length <= MAX_FIELD_ERRORS) return new AppError('validation-failed', detail, { errors });
  return new AppError('validation-failed', detail, {
    errors: errors.slice(0, MAX_FIELD_ERRORS),
    errors_truncated: errors.length - MAX_FIELD_ERRORS,
  });
}

export function notFound(what: string): AppError {
  return new AppError('not-found', `${what} not found.`);
}
