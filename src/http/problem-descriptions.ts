import type { ProblemCode } from '../core/app-error.js';

/**
 * What each problem type means and what a caller does about it: the page `type` links to
 * (RFC 9457 §3.1.1: the type URI, when dereferenced, should give human-readable documentation).
 * A `Record` over every code, so a new problem type does not compile until it has its page.
 */
export const problemDescriptions: Record<ProblemCode, string> = {
  'malformed-request':
    'The request could not be parsed: a body that is not valid JSON (or has a member twice), an empty JSON body, or a request line the ' +
    'HTTP parser refused. Fix the request; retrying it unchanged fails again.',
  'missing-token':
    'The route needs an access token and the request carries none. Get one from POST /oauth/token and send it as "Authorization: ' +
    'Bearer <token>".',
  'invalid-token':
    'The bearer token was refused: malformed, signed by another key or algorithm, expired or not yet valid, for another issuer or ' +
    'audience, or its client was deleted or its secret rotated. Get a new token.',
  'insufficient-scope':
    'The token is valid but lacks the scope this route needs (the OpenAPI document names it per operation). Ask for a token with that ' +
    'scope; a client cannot hold scopes its creator lacks.',
  'not-found': 'No such resource in your fleet. Another fleet\u2019s resource answers this too, never 403: its existence is not disclosed.',
  'unknown-brand':
    'The brand in the path is not in the catalogue; detail lists the known slugs. Brands match case-insensitively, "_" and "-" alike.',
  'method-not-allowed': 'The path exists but does not take this HTTP method; the OpenAPI document lists the methods of each path.',
  'name-already-exists':
    'Another credential of your fleet already has this name (names are compared case-insensitively, after trimming and Unicode NFC). ' +
    'Choose another name.',
  'unique-identifier-already-exists':
    'Your fleet already has a vehicle with this telematics_brand and telematics_unit_id. Update that vehicle instead of adding another.',
  'conflicting-resource':
    'The resource is in a state that refuses the change: a credential still referenced by vehicles (vehicle_count and vehicle_ids say ' +
    'which; delete or reassign them first), or a secret rotation asked of a key client.',
  'limit-exceeded':
    'The brand caps the number of credentials per fleet (as its maker does; GET /brands shows each cap) and your fleet has reached ' +
    'it. Delete one first.',
  'precondition-failed':
    'The If-Match header names an ETag that is no longer current: someone changed the resource since you read it. Read it again and ' +
    'retry with its new ETag.',
  'payload-too-large':
    'The body is over the limit (64 KiB; form bodies on the token endpoints 16 KiB). The largest credential, an 8 KiB secret with a 16 ' +
    'KiB PEM key, fits.',
  'unsupported-media-type':
    'The body is not application/json (the token endpoints also take application/x-www-form-urlencoded). Send JSON with Content-Type: ' +
    'application/json.',
  'validation-failed':
    'A field, parameter or header is invalid, missing or unknown; errors lists each one with a JSON Pointer (/query/<name> and ' +
    '/params/<name> for the URL) and why. Fix those fields.',
  'idempotency-key-reused':
    'This Idempotency-Key was used within the last 24 hours with another body. Send a new key for a new request; the same key replays ' +
    'the first answer only for the same body.',
  'too-many-requests': 'Over the rate limit for your client or address. Wait for the number of seconds in Retry-After, then retry.',
  'internal-server-error':
    'The server failed on its side; the detail never shows internals. Retrying may work; quote request_id when you report it.',
  'service-unavailable':
    'The vault cannot serve the request now (the database does not answer, or the audit event a reveal needs could not be written, so ' +
    'nothing left the vault, or this server is shutting down and closes the connection). Retry after the seconds in Retry-After when ' +
    'it is sent, on a new connection.',
  'request-timeout':
    'The request did not arrive whole within the server\u2019s time limit (FLEETVAULT_REQUEST_TIMEOUT_MS, 30 s by default), so the ' +
    'connection was closed. Send the whole request promptly.',
  'request-header-fields-too-large': 'The request\u2019s headers are larger than the server accepts. Send fewer or smaller headers.',
  'exchange-not-supported':
    'This brand has no token exchange (GET /brands: its token_exchange): the vault cannot obtain a token for it. Reveal the secret ' +
    'instead where that is allowed (for some brands the API token is the credential).',
  'brand-rejected-credentials':
    'The brand refused the stored secrets (brand_status and the brand\u2019s error code say how; its body is never shown). Rotate the ' +
    'secret with PATCH, then retry.',
  'credentials-rejected-by-brand':
    'With ?verify=true the vault tried the new secrets with the brand first and the brand refused them: nothing was stored. Check the ' +
    'secrets and send them again.',
  'brand-unavailable':
    'The brand\u2019s token endpoint failed or is unreachable (502), or its circuit breaker is open after repeated failures (503 with ' +
    'Retry-After). Retry after the time given.',
  'brand-timeout': 'The brand\u2019s token endpoint did not answer within FLEETVAULT_BRAND_TIMEOUT_MS (5 s by default). Retry later.',
};
