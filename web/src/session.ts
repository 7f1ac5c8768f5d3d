import { type Api, createApi, type Problem, type TokenAnswer } from './api';

/** A signed-in console: the token lives in this object only (memory), never in storage or a cookie. */
export interface Session {
  /** Who is signed in: the API client's id, or the person's name and email (shown in the header). */
  who: { kind: 'client' | 'person'; label: string };
  scopes: ReadonlySet<string>;
  expiresAt: Date;
  api: Api;
  can(scope: Scope): boolean;
}

export type Scope =
  | 'credentials:read'
  | 'credentials:write'
  | 'credentials:reveal'
  | 'vehicles:read'
  | 'vehicles:write'
  | 'audit:read'
  | 'webhooks:manage'
  | 'clients:manage';

/** The scopes the token was granted (RFC 6749 §5.1 `scope`, space-separated). */
export function createSession(who: Session['who'], token: TokenAnswer, onUnauthorized: (problem: Problem | undefined) => void): Session {
  const scopes = new Set(token.scope.split(' ').filter((s) => s !== ''));
  return {
    who,
    scopes,
    expiresAt: new Date(Date.now() + token.expires_in * 1000),
    api: createApi(token.access_token, onUnauthorized),
    can: (scope) => scopes.has(scope),
  };
}

export function formatTime(date: Date | string): string {
  const d = typeof date === 'string' ? new Date(date) : date;
  return d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}
