import { z } from 'zod';
import { actorContext, principalOf } from '../http/auth.js';
import { cursorParam } from '../http/pagination-params.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import { PERSON_LIST_KEY } from './people.repo.js';
import {
  listQuerySchema,
  personListSchema,
  signInRuleCreateSchema,
  signInRuleListSchema,
  signInRuleParamsSchema,
  signInRuleViewSchema,
} from './people.schemas.js';
import type { PersonSignIn } from './person-sign-in.service.js';
import { SIGN_IN_RULE_LIST_KEY } from './sign-in-rules.repo.js';
import type { SignInRuleService } from './sign-in-rules.service.js';

const tags = ['people'];
const config = { scope: 'clients:manage' } as const;

/** `/sign-in-rules` and `/people` (docs/design.md §2.11): who may sign in to the fleet, and who did. */
export function registerPeopleRoutes(app: App, rules: SignInRuleService, people: PersonSignIn) {
  app.post('/sign-in-rules', {
    config,
    schema: {
      tags,
      operationId: 'createSignInRule',
      summary: 'Let the people whose ID token carries a claim value sign in to this fleet',
      description:
        'A person whose ID token claim `claim` equals `equals` (or, for an array claim such as `groups`, holds it) may sign in ' +
        'with `scopes`; a person matching several rules holds the union. A rule cannot grant scopes the caller lacks (403 ' +
        'insufficient-scope); credentials:reveal, credentials:exchange and clients:manage are granted only by name. `restrict` ' +
        'narrows the rule to some credentials (docs/grants.md), and then it cannot hold clients:manage or audit:read (422).',
      security: bearerSecurity,
      body: signInRuleCreateSchema,
      response: { 201: signInRuleViewSchema.describe('Created: the rule') },
    },
    handler: async (request, reply) => {
      const view = await rules.create(actorContext(request), request.body, principalOf(request).scopes);
      return reply.code(201).header('location', `/sign-in-rules/${view.id}`).send(view);
    },
  });

  app.get('/sign-in-rules', {
    config,
    schema: {
      tags,
      operationId: 'listSignInRules',
      summary: 'List the fleet\u2019s sign-in rules',
      description: 'Live rules by id, paged with `limit` and `cursor`.',
      security: bearerSecurity,
      querystring: listQuerySchema,
      response: { 200: signInRuleListSchema.describe('A page of rules; `next_cursor` is null on the last page') },
    },
    handler: async (request) => {
      const { cursor, limit } = request.query;
      return rules.list(principalOf(request).fleetId, { limit, after: cursorParam(cursor, SIGN_IN_RULE_LIST_KEY) });
    },
  });

  app.delete('/sign-in-rules/:id', {
    config,
    schema: {
      tags,
      operationId: 'deleteSignInRule',
      summary: 'Delete a sign-in rule',
      description:
        'The access tokens people received through it are refused (401 invalid-token) within 5 seconds on every replica. ' +
        'A rule granting scopes the caller lacks answers 403 insufficient-scope; another fleet\u2019s rule is 404.',
      security: bearerSecurity,
      params: signInRuleParamsSchema,
      response: {
        204: z.undefined().describe('Deleted; its people\u2019s tokens are refused from now on'),
        ...problemResponses('not-found'),
      },
    },
    handler: async (request, reply) => {
      await rules.delete(actorContext(request), request.params.id, principalOf(request).scopes);
      return reply.code(204).send();
    },
  });

  app.get('/people', {
    config,
    schema: {
      tags,
      operationId: 'listPeople',
      summary: 'List the people who signed in to the fleet',
      description: 'Each person (identity provider issuer and subject, email, name) with their first and last sign-in to this fleet.',
      security: bearerSecurity,
      querystring: listQuerySchema,
      response: { 200: personListSchema.describe('A page of people; `next_cursor` is null on the last page') },
    },
    handler: async (request) => {
      const { cursor, limit } = request.query;
      return people.list(principalOf(request).fleetId, { limit, after: cursorParam(cursor, PERSON_LIST_KEY) });
    },
  });
}
