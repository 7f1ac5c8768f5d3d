import createClient from 'openapi-fetch';
import type { components, paths } from './api-types';

export type CredentialView = paths['/{brand}/credentials/{id}']['get']['responses'][200]['content']['application/json'];
export type VehicleView = paths['/vehicles/{id}']['get']['responses'][200]['content']['application/json'];
export type Brand = paths['/brands']['get']['responses'][200]['content']['application/json']['items'][number];
export type BrandField = Brand['fields'][number];
export type TokenAnswer = paths['/oauth/token']['post']['responses'][200]['content']['application/json'];

/** RFC 9457 problem details as the vault writes them (docs/design.md §2.5). */
export type Problem = components['schemas']['Problem'];
/** A create body of any brand (`NiuCredentialCreate`, …): the server checks it against the brand in the path. */
export type CredentialCreate = components['schemas']['CredentialCreate'];

/** The typed client of the vault's own API: the console's only network peer (same origin, CSP connect-src 'self'). */
export type Api = ReturnType<typeof createApi>;

/**
 * A client that sends the bearer token on every call and reports a 401 (expired, revoked or
 * rejected token) through `onUnauthorized`, so the console can sign out with a clear message.
 */
export function createApi(token: string, onUnauthorized: (problem: Problem | undefined) => void) {
  const client = createClient<paths>({ baseUrl: location.origin, credentials: 'omit' });
  client.use({
    onRequest({ request }) {
      request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
    async onResponse({ response }) {
      if (response.status === 401) onUnauthorized(await readProblem(response.clone()));
      return response;
    },
  });
  return client;
}

/** The slug of a problem type (`/problems/precondition-failed` → `precondition-failed`). */
export function problemSlug(problem: Problem | undefined): string | undefined {
  return problem?.type.startsWith('/problems/') ? problem.type.slice('/problems/'.length) : undefined;
}

async function readProblem(response: Response): Promise<Problem | undefined> {
  try {
    const body = (await response.json()) as Partial<Problem>;
    return typeof body.type === 'string' && typeof body.status === 'number' ? (body as Problem) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Any failed call as a problem: the server's own problem+json when it sent one, else one that
 * says what happened (an HTML error page from a proxy, or no answer at all).
 */
export function toProblem(error: unknown, response: Response | undefined): Problem {
  const body = error as Partial<Problem> | undefined;
  if (body !== undefined && typeof body === 'object' && typeof body.type === 'string' && typeof body.status === 'number')
    return body as Problem;
  const status = response?.status ?? 0;
  return {
    type: 'about:blank',
    title: status === 0 ? 'No answer' : `HTTP ${status}`,
    status,
    detail:
      status === 0 ? 'The vault did not answer. Check the connection and try again.' : `The vault answered ${status} without details.`,
    request_id: response?.headers.get('x-request-id') ?? '',
  };
}

/** Runs a call and turns a network failure into a problem, so every screen handles one shape. */
export async function call<T>(
  run: () => Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<{ ok: true; data: T; response: Response } | { ok: false; problem: Problem; response: Response | undefined }> {
  try {
    const { data, error, response } = await run();
    if (response.ok) return { ok: true, data: data as T, response };
    return { ok: false, problem: toProblem(error, response), response };
  } catch {
    return { ok: false, problem: toProblem(undefined, undefined), response: undefined };
  }
}

/**
 * Client credentials grant (RFC 6749 §4.4) with the id and secret in a JSON body, as the vault
 * accepts (docs/design.md §2.3). Its errors are RFC 6749 §5.2 bodies, not problem+json.
 */
export async function requestToken(
  clientId: string,
  clientSecret: string,
): Promise<{ ok: true; token: TokenAnswer } | { ok: false; message: string }> {
  // credentials 'omit': the 401 for a wrong secret carries `WWW-Authenticate: Basic` (RFC 6749 §5.2), and
  // a browser prompts for a 401 only when credentials are included (Fetch standard, "HTTP-network-or-cache
  // fetch"): without 'omit' it would open its own login dialog over the console's message.
  const client = createClient<paths>({ baseUrl: location.origin, credentials: 'omit' });
  try {
    const { data, error, response } = await client.POST('/oauth/token', {
      body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
    });
    if (data !== undefined) return { ok: true, token: data };
    const code = (error as { error?: string } | undefined)?.error;
    if (code === 'invalid_client') return { ok: false, message: 'The client id or secret is not right.' };
    if (response.status === 429) return { ok: false, message: 'Too many attempts. Wait a minute and try again.' };
    const description = (error as { error_description?: string } | undefined)?.error_description;
    return { ok: false, message: description ? `Sign-in failed: ${description}` : `Sign-in failed (HTTP ${response.status}).` };
  } catch {
    return { ok: false, message: 'The vault did not answer. Check the connection and try again.' };
  }
}
