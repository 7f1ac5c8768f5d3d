import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../core/app-error.js';
import { type App, problemResponses } from '../http/route-types.js';
import { AuthorizationRequestRefused } from './console-sign-in.service.js';
import type { SignInFlows } from './create-sign-in-flows.js';
import { SignInFailed } from './sign-in-failure.js';
import { confirmDevicePage, deviceDecidedPage, refusalPage, signInPageCsp, userCodePage } from './sign-in-pages.js';

const tags = ['sign-in'];
const text = (max: number) => z.string().max(max).optional();
const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const redirect = (description: string) => z.undefined().describe(description);
const off = () => new AppError('not-found', 'Person sign-in is off: the vault has no identity provider.');

/**
 * Person sign-in in the browser (docs/sign-in.md): the options the console reads, the console's authorization
 * request, the provider's callback, and the device verification pages (RFC 8628 §3.3). Refusals end on a page
 * that says what happened; they are logged and counted (`refused`), never written to an audit chain.
 */
export function registerSignInRoutes(app: App, flows: SignInFlows | undefined) {
  const csp = signInPageCsp(flows?.providerOrigin);
  const sendPage = (reply: FastifyReply, status: number, body: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', csp).send(body);

  /** Runs a browser step; a refused sign-in becomes its page (with the reason in the log and the counter). */
  const step = async (request: FastifyRequest, reply: FastifyReply, run: (f: SignInFlows) => Promise<FastifyReply>) => {
    if (flows === undefined) throw off();
    try {
      return await run(flows);
    } catch (error) {
      if (!(error instanceof SignInFailed)) throw error;
      flows.refused(error.reason);
      request.log.warn({ event: 'person-sign-in-refused', reason: error.reason }, 'person sign-in refused');
      return sendPage(reply, error.status, refusalPage(error.message, request.id));
    }
  };

  app.get('/auth/sign-in-options', {
    schema: {
      tags,
      operationId: 'getSignInOptions',
      summary: 'How people can sign in (the console\u2019s "Sign in with \u2026" button)',
      description: 'Public. `person_sign_in` is null when the vault has no identity provider (FLEETVAULT_OIDC_ISSUER unset).',
      response: {
        200: z
          .object({ person_sign_in: z.object({ provider_name: z.string() }).nullable() })
          .describe('Whether person sign-in is on, and the provider\u2019s display name'),
      },
    },
    handler: async () => ({ person_sign_in: flows === undefined ? null : { provider_name: flows.displayName } }),
  });

  app.get('/auth/authorize', {
    schema: {
      tags,
      operationId: 'authorizeConsole',
      summary: 'The console\u2019s authorization request: sends the browser to the identity provider',
      description:
        'RFC 6749 §4.1.1 with PKCE (RFC 7636): response_type=code, client_id=fleetvault-console, redirect_uri exactly ' +
        '`<public URL>/console/`, code_challenge (S256) and state. A wrong client_id or redirect_uri answers a page (never a ' +
        'redirect); other mistakes return to redirect_uri with `error` (§4.1.2.1). 404 when person sign-in is off.',
      querystring: z
        .object({
          response_type: text(32),
          client_id: text(64),
          redirect_uri: text(2048),
          code_challenge: text(128),
          code_challenge_method: text(16),
          state: text(512),
        })
        .loose(),
      response: {
        302: redirect('To the identity provider (or back to the console with `error`)'),
        400: html('The request cannot be answered at its redirect_uri'),
        503: html('The identity provider does not answer'),
        ...problemResponses('not-found'),
      },
    },
    handler: (request, reply) =>
      step(request, reply, async (f) => {
        try {
          return reply.redirect((await f.console.authorize(request.query)).href);
        } catch (error) {
          if (!(error instanceof AuthorizationRequestRefused)) throw error;
          const target = new URL(error.redirectUri);
          target.searchParams.set('error', error.error);
          target.searchParams.set('error_description', error.description);
          if (error.state !== undefined) target.searchParams.set('state', error.state);
          return reply.redirect(target.href);
        }
      }),
  });

  app.get('/auth/oidc/callback', {
    schema: {
      tags,
      operationId: 'finishProviderSignIn',
      summary: 'Where the identity provider sends the browser back (the redirect URI registered there)',
      description:
        'Checks state (single use), redeems the code, verifies the ID token (OIDC Core §3.1.3.7), then sends the console its ' +
        'one-time code or shows the device confirmation. Refusals (no matching rule, bad or replayed state, a rejected ID ' +
        'token, a provider error) answer a page. 404 when person sign-in is off.',
      querystring: z.object({ state: text(512), code: text(2048), error: text(256), iss: text(2048) }).loose(),
      response: {
        200: html('The device confirmation page'),
        302: redirect('To the console\u2019s redirect_uri with `code` and `state`'),
        400: html('Sign-in refused: the state is missing, unknown, expired or used'),
        403: html('Sign-in refused: no sign-in rule matches, the provider refused, or the ID token was rejected'),
        404: html('The device\u2019s user code expired meanwhile (or, as problem+json, person sign-in is off)'),
        409: html('The device\u2019s user code was used by another sign-in meanwhile'),
        503: html('The identity provider does not answer'),
      },
    },
    handler: (request, reply) =>
      step(request, reply, async (f) => {
        const finished = await f.trips.finish(new URL(`${f.publicUrl}${request.url}`));
        if (finished.row.purpose === 'console') return reply.redirect((await f.console.complete(finished)).href);
        return sendPage(reply, 200, confirmDevicePage(await f.device.complete(finished)));
      }),
  });

  app.get('/auth/device', {
    schema: {
      tags,
      operationId: 'verifyDevice',
      summary: 'The device verification page (RFC 8628 §3.3): enter the user code, then sign in',
      description: 'Without user_code: a form asking for it. With a valid one: to the identity provider. 404 when person sign-in is off.',
      querystring: z.object({ user_code: text(32) }).loose(),
      response: {
        200: html('The form asking for the user code'),
        302: redirect('To the identity provider'),
        404: html('The user code is unknown, expired or used (or, as problem+json, person sign-in is off)'),
        503: html('The identity provider does not answer'),
      },
    },
    handler: (request, reply) =>
      step(request, reply, async (f) => {
        const typed = request.query.user_code;
        if (typed === undefined || typed.trim() === '') return sendPage(reply, 200, userCodePage(undefined));
        try {
          return reply.redirect((await f.device.startVerification(typed)).href);
        } catch (error) {
          if (!(error instanceof SignInFailed && error.reason === 'invalid-user-code')) throw error;
          // A mistyped code: the form again, saying so (counted like any refusal).
          f.refused(error.reason);
          return sendPage(reply, 404, userCodePage(error.message));
        }
      }),
  });

  app.register(async (scope) => {
    // The confirmation is an HTML form (application/x-www-form-urlencoded).
    await scope.register(formbody, { bodyLimit: 4096 });
    scope.withTypeProvider<ZodTypeProvider>().post('/auth/device/confirm', {
      schema: {
        tags,
        operationId: 'confirmDevice',
        summary: 'Approve or deny a device (the confirmation form, RFC 8628 §5.4)',
        description: 'The form of the confirmation page: user_code, its one-time `confirm` token, `fleet`, decision=approve|deny.',
        body: z
          .object({ user_code: z.string().max(32), confirm: z.string().max(128), fleet: text(64), decision: z.enum(['approve', 'deny']) })
          .describe('application/x-www-form-urlencoded'),
        response: {
          200: html('Approved or denied: the terminal\u2019s next poll gets the token or access_denied'),
          400: html('No fleet of the person was chosen'),
          403: html('The confirmation token is not valid'),
          404: html('The user code is unknown, expired or already decided (or, as problem+json, person sign-in is off)'),
        },
      },
      handler: (request, reply) =>
        step(request, reply, async (f) => {
          const { user_code, confirm, fleet, decision } = request.body;
          const status = await f.device.decide({ user_code, confirm, fleet, approve: decision === 'approve' });
          return sendPage(reply, 200, deviceDecidedPage(status));
        }),
    });
  });
}
