import type { BrandAdapter, BrandAnswer } from '../brand-adapter.js';

/**
 * MyGeotab `Authenticate` (developers.geotab.com/myGeotab/apiReference/methods/Authenticate and
 * geotab.github.io/sdk/software/guides/concepts): a JSON-RPC POST to `https://{server}/apiv1` with
 * `database`, `userName`, `password`; the result is a LoginResult `{credentials: {database,
 * sessionId, userName}, path}` where `path` is `ThisServer` or the server that holds the database.
 * Failures arrive as HTTP 200 with a JSON-RPC `error` whose `errors[].name` says why
 * (`InvalidUserException` for wrong credentials, `DbUnavailableException`).
 */
/** Geotab documents no session lifetime; the vault re-authenticates hourly (a choice, not Geotab's number). */
const SESSION_SECONDS = 3600;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown, max = 256) => (typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined);

function readGeotabAnswer(status: number, body: unknown, server: string): BrandAnswer {
  if (status !== 200 || !isObject(body)) return { kind: 'unusable', code: undefined };
  if (isObject(body.error)) {
    const errors = Array.isArray(body.error.errors) ? body.error.errors : [];
    const name = text(isObject(errors[0]) ? errors[0].name : undefined, 64) ?? text(body.error.name, 64);
    return name === 'InvalidUserException' ? { kind: 'rejected', code: name } : { kind: 'unusable', code: name };
  }
  const result = isObject(body.result) ? body.result : undefined;
  const credentials = result && isObject(result.credentials) ? result.credentials : undefined;
  const sessionId = text(credentials?.sessionId, 1024);
  if (result === undefined || credentials === undefined || sessionId === undefined) return { kind: 'unusable', code: undefined };
  const path = text(result.path) ?? 'ThisServer';
  return {
    kind: 'token',
    token: {
      access_token: sessionId,
      token_type: 'GeotabSession',
      expires_in: SESSION_SECONDS,
      extras: {
        database: text(credentials.database) ?? '',
        user_name: text(credentials.userName) ?? '',
        // Further calls go to `path` unless it is "ThisServer" (the server that answered).
        server: path === 'ThisServer' ? server : path,
        path,
      },
    },
  };
}

export const geotabAdapter: BrandAdapter = {
  brand: 'geotab',
  takesScope: false,
  answerExtras: {
    database: 'the database',
    user_name: 'the user name',
    server: 'the server to call with this session',
    path: 'LoginResult.path',
  },
  buildRequest: ({ fields, secrets }) => ({
    // `server` was restricted to geotab.com and its subdomains at create (catalogue/geotab.ts).
    url: `https://${fields.server ?? 'my.geotab.com'}/apiv1`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      method: 'Authenticate',
      params: { database: fields.database, userName: fields.username, password: secrets.password },
    }),
  }),
  readAnswer: (status, body, fields) => readGeotabAnswer(status, body, fields.server ?? 'my.geotab.com'),
};
