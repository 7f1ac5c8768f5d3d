/**
 * Token endpoint errors, RFC 6749 §5.2: `{error, error_description}` with status 400,
 * except `invalid_client`, which is 401 with `WWW-Authenticate` (§5.2: "MAY respond
 * with an HTTP 401"; docs/design.md §2.3 makes it always 401).
 */
export abstract class OAuthError extends Error {
  abstract readonly error: string;
  readonly status: number = 400;
  constructor(readonly description: string) {
    super(description);
  }
}

export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
}
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}
/** Not in §5.2, but the registry's code for server failures (RFC 6749 §4.1.2.1). */
export class ServerError extends OAuthError {
  readonly error = 'server_error';
  override readonly status = 500;
}
/** RFC 6749 §4.1.2.1's code for a temporary overload or maintenance, sent with 503 (the database or the audit trail is away). */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly status = 503;
}
/** Returned with 429: RFC 6749 has no code for rate limits; `slow_down` (RFC 8628) is the nearest registered one. */
export class TooManyRequests extends OAuthError {
  readonly error = 'slow_down';
  override readonly status = 429;
}

/** RFC 8628 §3.5: the person has not yet approved the device; poll again after the interval. */
export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
}
/** RFC 8628 §3.5: polled faster than the interval; the interval grows by 5 s for this and every later request. */
export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
}
/** RFC 8628 §3.5: the person denied the request (or no sign-in rule lets them in). */
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
}
/** RFC 8628 §3.5: the device code expired; start a new device authorization. */
export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
}
/**
 * The person's sign-in rules match several fleets and the request named none (docs/sign-in.md): RFC 6749 §5.2
 * `invalid_request`, with the extension member `fleets` (§5.2 allows more members) listing those to choose from.
 * The code is not consumed: the same request with `fleet` succeeds.
 */
export class FleetRequired extends OAuthError {
  readonly error = 'invalid_request';
  constructor(
    description: string,
    readonly fleets: { id: string; name: string }[],
  ) {
    super(description);
  }
}
