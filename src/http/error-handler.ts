import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { IntegrityError } from '../core/integrity-error.js';
import { isDatabaseUnavailable } from '../db/db-errors.js';
import { AppError, problemTypes } from '../core/app-error.js';

/**
 * A route's own error body, instead of problem+json (route config `errorFormat`): the token
 * endpoint's RFC 6749 §5.2 body, High Mobility's `{errors: […]}`. One mechanism for all of them:
 * the shared handler asks the route's format first, and renders problem+json when it declines.
 */
export interface ErrorFormat {
  /**
   * Sends `error` in this format, or returns undefined to leave it to problem+json. `problem()` is
   * what problem+json would say (unknown errors already logged as such), for errors of no domain.
   */
  send(error: FastifyError, problem: () => AppError, reply: FastifyReply): FastifyReply | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Renders every failure of the route in its own format (the token endpoints); problem+json otherwise. */
    errorFormat?: ErrorFormat;
  }
}

/** Fastify's own failures (before a handler runs) mapped to our problem types. */
function fromFastifyError(error: FastifyError): AppError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('malformed-request', 'The request body is not valid JSON.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('payload-too-large', 'The request body is larger than 64 KiB.');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return new AppError('unsupported-media-type', 'Send the body as application/json.');
  }
  if (error.statusCode === 400 && error.code?.startsWith('FST_ERR_')) {
    return new AppError('malformed-request', 'The request could not be parsed.');
  }
  if (error.statusCode === 413) return new AppError('payload-too-large', 'The request body is too large.');
  if (error.statusCode === 415) return new AppError('unsupported-media-type', 'Send the body as application/json.');
  if (error.statusCode === 429) return new AppError('too-many-requests', 'Too many requests; retry later.');
  return undefined;
}

export function problemBody(error: AppError, requestId: string) {
  const { title } = problemTypes[error.code];
  return {
    type: `/problems/${error.code}`,
    title,
    status: error.status,
    detail: error.detail,
    request_id: requestId,
    ...error.extensions,
  };
}

function sendProblem(reply: FastifyReply, error: AppError, requestId: string) {
  if (error.status === 401)
    reply.header('www-authenticate', `Bearer realm="fleetvault"${error.code === 'invalid-token' ? ', error="invalid_token"' : ''}`);
  if (error.code === 'insufficient-scope') reply.header('www-authenticate', 'Bearer realm="fleetvault", error="insufficient_scope"');
  return reply.code(error.status).type('application/problem+json').send(problemBody(error, requestId));
}

/**
 * One renderer for every failure. Unknown errors become a plain 500 whose detail stays in
 * the log; an IntegrityError (a sealed value that does not open) is logged as such.
 */
export function errorHandler(this: unknown, error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  // The one place Retry-After is written (RFC 9110 §10.2.3), for problem+json and a route's own format alike:
  // at once for a thrown AppError (a format may never ask for the problem), else once the error is resolved.
  const retryAfter = (appError: AppError) => {
    if (appError.retryAfterSeconds !== undefined) reply.header('retry-after', String(appError.retryAfterSeconds));
    return appError;
  };
  if (error instanceof AppError) retryAfter(error);
  let resolved: AppError | undefined;
  const problem = () => (resolved ??= retryAfter(toProblem(error, request)));
  const sent = request.routeOptions.config?.errorFormat?.send(error, problem, reply);
  return sent ?? sendProblem(reply, problem(), request.id);
}

/** The problem an error stands for; what no layer knows becomes a plain 500, its detail in the log only. */
function toProblem(error: FastifyError, request: FastifyRequest): AppError {
  let appError = error instanceof AppError ? error : fromFastifyError(error);
  // A 5xx that some layer chose (e.g. the audit trail could not be written) keeps its cause for operators, in the log only.
  if (appError !== undefined && appError.status >= 500 && error.cause !== undefined) {
    const cause = error.cause as { code?: unknown; message?: unknown };
    request.log.error(
      { problem: appError.code, cause: { code: cause.code, message: String(cause.message ?? '').slice(0, 200) } },
      appError.detail,
    );
  }
  if (appError === undefined && isDatabaseUnavailable(error)) {
    request.log.warn({ reason: (error as { code?: string }).code ?? error.message }, 'database unavailable');
    appError = new AppError('service-unavailable', 'The database is unavailable; retry shortly.', {}, { retryAfterSeconds: 1 });
  }
  if (appError === undefined) {
    if (error instanceof IntegrityError) {
      request.log.error({ event: 'integrity-failure', reason: error.message }, 'sealed data failed authentication');
    } else {
      request.log.error({ err: error }, 'unhandled error');
    }
    appError = new AppError('internal-server-error', 'The server could not complete the request.');
  }
  return appError;
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(
    reply,
    new AppError('not-found', `No route for ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`),
    request.id,
  );
}

/**
 * Router failures that happen before any route or hook runs (fastify's `frameworkErrors`):
 * a URL that does not decode is 400, a path segment over the router's limit names no
 * resource (404). Hooks do not run here, so the headers every response carries are set too.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff').header('cache-control', 'no-store');
  const appError =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new AppError('not-found', 'No resource has an id that long.')
      : error.code === 'FST_ERR_BAD_URL'
        ? new AppError('malformed-request', 'The URL is not valid (bad percent-encoding).')
        : (fromFastifyError(error) ?? new AppError('malformed-request', 'The request could not be parsed.'));
  return sendProblem(reply, appError, request.id);
}
