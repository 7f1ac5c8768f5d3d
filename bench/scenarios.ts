import { randomBytes } from 'node:crypto';
import type { LoadRequest } from './load.js';
import type { Started } from './protocol.js';

/** One load pattern: where it goes and the requests autocannon cycles through. */
export interface Scenario {
  name: string;
  description: string;
  url: string;
  headers?: Record<string, string>;
  requests: LoadRequest[];
  /** Concurrent connections for this scenario (default: BENCH_CONNECTIONS); its adjacent bare run uses the same. */
  connections?: number;
  /** A durable write: the raw insert loop is measured right before it, and its ratio is to that loop. */
  write?: boolean;
}

const json = { 'content-type': 'application/json' };

/** Round-robin over ids, so concurrent requests touch different rows (PATCH would otherwise race itself). */
function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length]!;
}

export function bareScenario(server: Started): Scenario {
  return {
    name: 'bare',
    description: 'GET /bare on a plain Fastify instance ({ok:true})',
    url: server.bareUrl,
    requests: [{ method: 'GET', path: '/bare' }],
  };
}

export function appScenarios(server: Started): Scenario[] {
  const auth = { authorization: `Bearer ${server.token}` };
  const nextGetId = cycle(server.credentialIds);
  const nextPatchId = cycle(server.credentialIds);
  let created = 0;
  const tokenBody = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: server.clientId,
    client_secret: server.clientSecret,
  }).toString();
  const get: Scenario = {
    name: 'get',
    description: 'GET /niu/credentials/{id}, bearer token, ids round-robin',
    url: server.appUrl,
    headers: auth,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/niu/credentials/${nextGetId()}` }) }],
  };
  const patch: Scenario = {
    name: 'patch',
    description: 'PATCH /niu/credentials/{id} {client_secret} (open + re-seal + update + audit event), ids round-robin',
    url: server.appUrl,
    headers: { ...auth, ...json },
    write: true,
    requests: [
      {
        method: 'PATCH',
        setupRequest: (req) => ({
          ...req,
          path: `/niu/credentials/${nextPatchId()}`,
          body: JSON.stringify({ client_secret: randomBytes(18).toString('base64url') }),
        }),
      },
    ],
  };
  const post: Scenario = {
    name: 'post',
    description: 'POST /niu/credentials (seal + durable insert + audit event), unique names',
    url: server.appUrl,
    headers: { ...auth, ...json },
    write: true,
    requests: [
      {
        method: 'POST',
        path: '/niu/credentials',
        setupRequest: (req) => {
          const n = created++;
          return {
            ...req,
            body: JSON.stringify({
              name: `Bench ${server.engine} ${n}`,
              client_id: `bench-client-${n}`,
              client_secret: randomBytes(18).toString('base64url'),
            }),
          };
        },
      },
    ],
  };
  return [
    get,
    // Latency alone: one connection, so a request never waits behind another ("at 1 connection").
    { ...get, name: 'get-c1', description: 'GET /niu/credentials/{id} over 1 connection (latency)', connections: 1 },
    {
      // Diagnostic: the same GET with a client-sent X-Request-Id, which the app echoes instead of generating one.
      name: 'get-reqid',
      description: 'GET /niu/credentials/{id} with X-Request-Id (no request id generated)',
      url: server.appUrl,
      headers: { ...auth, 'x-request-id': 'bench-request-id' },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/niu/credentials/${nextGetId()}` }) }],
    },
    {
      name: 'list',
      description: 'GET /niu/credentials (first page, 50 items)',
      url: server.appUrl,
      headers: auth,
      requests: [{ method: 'GET', path: '/niu/credentials?limit=50' }],
    },
    {
      name: 'token',
      description: 'POST /oauth/token, client_credentials, form body',
      url: server.appUrl,
      requests: [
        { method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: tokenBody },
      ],
    },
    patch,
    post,
    { ...post, name: 'post-c1', description: 'POST /niu/credentials over 1 connection (latency)', connections: 1 },
    { ...patch, name: 'patch-c50', description: 'PATCH /niu/credentials/{id} over 50 connections', connections: 50 },
    { ...post, name: 'post-c50', description: 'POST /niu/credentials over 50 connections', connections: 50 },
  ];
}

/**
 * The exchange part: GET by id beside the cached brand token exchange, in the same
 * server process, so their ratio is not skewed by other load minutes apart.
 */
export function exchangeScenarios(server: Started): Scenario[] {
  const auth = { authorization: `Bearer ${server.token}` };
  const nextGetId = cycle(server.credentialIds);
  const nextExchangeId = cycle(server.exchangeIds);
  return [
    {
      name: 'get',
      description: 'GET /niu/credentials/{id}, ids round-robin',
      url: server.appUrl,
      headers: auth,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/niu/credentials/${nextGetId()}` }) }],
    },
    {
      name: 'exchange',
      description: `POST /smartcar/credentials/{id}/token over ${server.exchangeIds.length} credentials (cached after the first call each)`,
      url: server.appUrl,
      headers: auth,
      requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: `/smartcar/credentials/${nextExchangeId()}/token` }) }],
    },
  ];
}

/** List pages of a seeded fleet: the first page, a page in the middle through a cursor, and a substring search. */
export function listScenarios(appUrl: string, token: string, deepCursor: string, term: string): Scenario[] {
  const headers = { authorization: `Bearer ${token}` };
  return [
    {
      name: 'list-first',
      description: 'first page, 50 items',
      url: appUrl,
      headers,
      requests: [{ method: 'GET', path: '/niu/credentials?limit=50' }],
    },
    {
      name: 'list-deep',
      description: 'page after the middle row (cursor)',
      url: appUrl,
      headers,
      requests: [{ method: 'GET', path: `/niu/credentials?limit=50&cursor=${encodeURIComponent(deepCursor)}` }],
    },
    {
      name: 'list-q',
      description: `first page of ?q=${term} (1 name in 16 matches)`,
      url: appUrl,
      headers,
      requests: [{ method: 'GET', path: `/niu/credentials?limit=50&q=${encodeURIComponent(term)}` }],
    },
  ];
}
