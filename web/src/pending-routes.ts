import type { components, paths } from './api-types';

/**
 * Routes DESIGN.md specifies that are being built while the console is (secret versions §2.8, the
 * audit trail §2.6), typed by hand from the contract. The console shows their panels only when the
 * route answers: a 404 from the route hides the panel. Once they land, `npm run console:types`
 * generates them into api-types.ts and this file shrinks to nothing.
 */
type Problem = components['schemas']['Problem'];
type ProblemOf<S extends number> = { [K in S]: { headers: Record<string, unknown>; content: { 'application/problem+json': Problem } } };
type Json<T> = { headers: Record<string, unknown>; content: { 'application/json': T } };

export interface SecretVersion {
  secret_version: number;
  created_at: string;
  /** The contract names the field, not its shape: a client id, or an actor object as in audit events. */
  created_by: string | { type: string; id: string | null } | null;
  state: 'current' | 'previous' | 'retained';
}

export interface AuditEvent {
  id: string;
  fleet_id: string | null;
  seq: number;
  at: string;
  actor: { type: 'client' | 'cli' | 'system'; id: string | null };
  action: string;
  target: { type: string; id: string; brand?: string };
  request_id: string | null;
  outcome: 'success' | 'failure';
  details?: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface AuditQuery {
  limit?: number;
  cursor?: string;
  action?: string;
  target_id?: string;
  actor_id?: string;
  since?: string;
  until?: string;
}

type Params<P, Q = never, H = never> = { query?: Q; header?: H; path: P; cookie?: never };

export interface PendingPaths {
  '/{brand}/credentials/{id}/versions': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: Params<{ brand: string; id: string }>;
      requestBody?: never;
      responses: { 200: Json<{ items: SecretVersion[] }> } & ProblemOf<401 | 403 | 404>;
    };
  };
  '/{brand}/credentials/{id}/versions/{n}/restore': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    post: {
      parameters: Params<{ brand: string; id: string; n: number }, never, { 'if-match'?: string }>;
      requestBody?: never;
      responses: { 200: Json<paths['/{brand}/credentials/{id}']['get']['responses'][200]['content']['application/json']> } & ProblemOf<
        401 | 403 | 404 | 412
      >;
    };
  };
  '/audit': {
    parameters: { query?: never; header?: never; path?: never; cookie?: never };
    get: {
      parameters: { query?: AuditQuery; header?: never; path?: never; cookie?: never };
      requestBody?: never;
      responses: { 200: Json<{ items: AuditEvent[]; next_cursor: string | null }> } & ProblemOf<401 | 403 | 404 | 422>;
    };
  };
}
