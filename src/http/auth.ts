import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Actor, PERSON_SUBJECT_PREFIX, type RequestContext } from '../core/context.js';
import { type CredentialRestriction, type Grant, restrictionOfClaim } from '../core/grant.js';
import { isScope, type Scope } from '../core/scopes.js';
import { AppError } from '../core/app-error.js';
import { clientRequestId } from './client-request-id.js';

export interface Principal {
  fleetId: string;
  /** The token's `sub`: a client's id, or `person:<person id>` for a person (docs/design.md §2.11). */
  clientId: string;
  /** A person token's `lbl` (their email or name), for the audit trail; undefined for a client. */
  label?: string | undefined;
  scopes: Scope[];
  /** The token's `rst` claim (docs/grants.md): the credentials this client may reach; undefined: the whole fleet. */
  restriction: CredentialRestriction | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope a route requires, or a list of scopes any one of which admits the caller (the route then decides what
     * each allows, as `GET /events` does: docs/design.md §2.13); routes without one are public.
     */
    scope?: Scope | readonly Scope[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export type VerifyAccessToken = (token: string) => Record<string, unknown>;
/**
 * Why a validly signed token is refused all the same (its client deleted, or its secret rotated
 * since the token's `sst`, docs/design.md §2.3; a person's sign-in rule deleted, §2.11), or undefined when
 * it is accepted. `claims` are the verified token's. A promise only when it had to read the database: a cached
 * answer comes back at once.
 */
export type TokenRefusal = (subject: string, claims: Readonly<Record<string, unknown>>) => string | undefined | Promise<string | undefined>;

/**
 * Bearer authentication and scope checks (docs/design.md §2.3), run on `onRequest` so an
 * unauthenticated caller learns nothing from body validation.
 */
export function registerAuth(app: FastifyInstance, verify: VerifyAccessToken, refusal: TokenRefusal) {
  app.decorateRequest('principal', null);
  // Callback style, and synchronous when the revocation check is answered from its cache (most requests): no
  // promise and no microtask turn of its own per request (docs/performance.md).
  app.addHook('onRequest', (request, _reply, done) => {
    const scope = request.routeOptions.config?.scope;
    if (scope === undefined) return done();
    // The source address has spent its budget of unauthenticated requests (rate-limit.ts): 429, not 401.
    const fail = (error: unknown) => done((request.unauthenticatedRefusal?.() ?? error) as Error);
    const accept = (principal: Principal, refused: string | undefined) => {
      if (refused !== undefined) return fail(new AppError('invalid-token', refused));
      // Authenticated, even if refused for its scope: the per-address limit does not count it (rate-limit.ts).
      request.principal = principal;
      const admitting = typeof scope === 'string' ? [scope] : scope;
      if (!admitting.some((s) => principal.scopes.includes(s))) {
        const needs = admitting.length === 1 ? `the scope ${admitting[0]}` : `one of the scopes ${admitting.join(', ')}`;
        return done(new AppError('insufficient-scope', `This route needs ${needs}.`, { required_scope: admitting[0] }));
      }
      done();
    };
    let principal: Principal;
    let refused: ReturnType<TokenRefusal>;
    try {
      let claims: Record<string, unknown>;
      ({ principal, claims } = authenticate(request, verify));
      // Revocation: a valid signature is not enough once the client is deleted or its secret rotated (or a person's rule deleted).
      refused = refusal(principal.clientId, claims);
    } catch (error) {
      return fail(error);
    }
    if (typeof refused === 'object') refused.then((answer) => accept(principal, answer), fail);
    else accept(principal, refused);
  });
}

function authenticate(request: FastifyRequest, verify: VerifyAccessToken): { principal: Principal; claims: Record<string, unknown> } {
  const header = request.headers.authorization;
  if (header === undefined || header.trim() === '') {
    throw new AppError('missing-token', 'Send an access token: Authorization: Bearer <token> (get one from POST /oauth/token).');
  }
  const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header);
  if (match === null) throw new AppError('invalid-token', 'The Authorization header must be "Bearer <token>".');
  let claims: Record<string, unknown>;
  try {
    claims = verify(match[1]!);
  } catch (error) {
    const expired = (error as { code?: string }).code === 'FAST_JWT_EXPIRED';
    throw new AppError('invalid-token', expired ? 'The access token has expired.' : 'The access token is not valid.');
  }
  const { fleet, sub, scope, rst, lbl } = claims;
  if (typeof fleet !== 'string' || typeof sub !== 'string' || typeof scope !== 'string') {
    throw new AppError('invalid-token', 'The access token is not valid.');
  }
  let restriction: CredentialRestriction | undefined;
  try {
    restriction = restrictionOfClaim(rst);
  } catch {
    throw new AppError('invalid-token', 'The access token is not valid.');
  }
  const label = typeof lbl === 'string' ? lbl : undefined;
  return { principal: { fleetId: fleet, clientId: sub, label, scopes: scope.split(' ').filter(isScope), restriction }, claims };
}

/** The context of a change made by the verified caller: its fleet, the client as actor, and this request's id. */
export function actorContext(request: FastifyRequest): RequestContext {
  const principal = principalOf(request);
  return {
    fleetId: principal.fleetId,
    restriction: principal.restriction,
    actor: actorOf(principal),
    requestId: request.id,
    clientRequestId: clientRequestId(request),
  };
}

/** The caller as the audit trail names it: an API client, or a person with their label (docs/design.md §2.11). */
function actorOf(principal: Principal): Actor {
  if (!principal.clientId.startsWith(PERSON_SUBJECT_PREFIX)) return { type: 'client', id: principal.clientId };
  const id = principal.clientId.slice(PERSON_SUBJECT_PREFIX.length);
  return principal.label === undefined ? { type: 'person', id } : { type: 'person', id, label: principal.label };
}

/** What the verified caller may read: its fleet and its restriction (docs/grants.md). */
export function grantOf(request: FastifyRequest): Grant {
  const { fleetId, restriction } = principalOf(request);
  return { fleetId, restriction };
}

/** The verified caller of a route that declared a scope. */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new TypeError('principalOf: route has no scope, so no principal');
  return request.principal;
}
