import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { allScopes } from '../../src/core/scopes.js';
import { DOCS_CSP } from '../../src/http/docs.routes.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

type ProblemSchema = { allOf?: { properties?: { type?: { enum?: string[] } } }[] };
interface Operation {
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { description?: string; content?: Record<string, { schema: ProblemSchema }> }>;
}
type Spec = { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, { type: string }> } };

describe('the OpenAPI document', () => {
  let t: TestApp;
  let spec: Spec;
  beforeAll(async () => {
    t = await buildTestApp();
    const res = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    spec = res.json();
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3.1 document (schema validator as linter)', async () => {
    const result = await new Validator().validate(spec as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('is served as YAML and JSON with the same content, and Swagger UI at /docs', async () => {
    const yaml = await t.app.inject({ method: 'GET', url: '/openapi.yaml' });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.headers['content-type']).toMatch(/^application\/yaml/);
    expect(YAML.parse(yaml.body)).toEqual(spec);
    const ui = await t.app.inject({ method: 'GET', url: '/docs' });
    const page =
      ui.statusCode === 302 ? await t.app.inject({ method: 'GET', url: String(ui.headers.location).replace(/^\.\//, '/docs/') }) : ui;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
    expect(page.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    // Swagger UI runs from its own files under the CSP: no inline script in the page.
    expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
    expect((await t.app.inject({ method: 'GET', url: '/docs/json' })).json()).toEqual(spec);
  });

  it('documents every route the app serves, except the Swagger UI and web console pages', () => {
    // printRoutes draws a tree, four columns per level; rebuild each full path from its ancestors.
    const stack: string[] = [];
    const routes: [string, string][] = [];
    for (const line of t.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /── (\S+) \(([A-Z, ]+)\)/.exec(line);
      if (match === null) continue;
      const depth = (match.index + 3) / 4 - 1;
      stack.length = depth;
      stack.push(match[1]!);
      routes.push([stack.join('').replace(/\/\//g, '/'), match[2]!]);
    }
    expect(routes.length).toBeGreaterThan(10);
    for (const [path, methods] of routes) {
      if (path.startsWith('/docs') || path.startsWith('/console')) continue;
      const template = path.replace(/:([A-Za-z_]+)/g, '{$1}');
      for (const method of methods.split(', ').filter((m) => m !== 'HEAD')) {
        expect(spec.paths[template]?.[method.toLowerCase()], `${method} ${template}`).toBeDefined();
      }
    }
  });

  it('declares an oauth2 client-credentials scheme with every scope explained, used by each protected operation with its scope', () => {
    expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(['clientSecretBasic', 'oauth2']);
    expect(spec.components.securitySchemes.clientSecretBasic!.type).toBe('http');
    type OAuth2 = { type: string; flows: Record<string, { tokenUrl: string; scopes: Record<string, string> }> };
    const oauth2 = spec.components.securitySchemes.oauth2 as unknown as OAuth2;
    const authMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
    expect(oauth2).toMatchObject({ type: 'oauth2', 'x-token-endpoint-auth-methods-supported': authMethods });
    // Swagger UI's Authorize posts a client id and secret to tokenUrl; the only flow, so it never offers one the vault lacks.
    expect(Object.keys(oauth2.flows)).toEqual(['clientCredentials']);
    expect(oauth2.flows.clientCredentials!.tokenUrl).toBe('/oauth/token');
    expect(Object.keys(oauth2.flows.clientCredentials!.scopes)).toEqual([...allScopes]);
    for (const [scope, meaning] of Object.entries(oauth2.flows.clientCredentials!.scopes)) expect(meaning, scope).not.toBe(scope);
    expect(spec.paths['/{brand}/credentials']!.post!.security).toEqual([{ oauth2: ['credentials:write'] }]);
    expect(spec.paths['/vehicles/{id}']!.get!.security).toEqual([{ oauth2: ['vehicles:read'] }]);
    expect(spec.paths['/{brand}/credentials/{id}/secrets']!.get!.security).toEqual([{ oauth2: ['credentials:reveal'] }]);
    // The token endpoint: HTTP Basic, or credentials / an assertion in the body (no HTTP authentication).
    expect(spec.paths['/oauth/token']!.post!.security).toEqual([{ clientSecretBasic: [] }, {}]);
    expect(spec.paths['/v1/auth_tokens']!.post!.security).toBeUndefined();
    expect(spec.paths['/brands']!.get!.security).toBeUndefined();
  });

  it(
    'Swagger UI\u2019s Authorize: its client-credentials request to tokenUrl gets a token the operations accept, with ' +
      'the scopes ticked',
    async () => {
      const fleet = await t.newFleet();
      const oauth2 = spec.components.securitySchemes.oauth2 as unknown as { flows: { clientCredentials: { tokenUrl: string } } };
      const tokenUrl = oauth2.flows.clientCredentials.tokenUrl;
      // What swagger-ui's authorizeApplication sends: HTTP Basic, and a form with the ticked scopes joined by '+'.
      const scope = ['credentials:read', 'vehicles:read'].map(encodeURIComponent).join('+');
      const form = `grant_type=client_credentials&scope=${scope}`;
      const res = await t.app.inject({
        method: 'POST',
        url: tokenUrl,
        headers: {
          authorization: `Basic ${Buffer.from(`${fleet.clientId}:${fleet.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
          'x-requested-with': 'XMLHttpRequest',
        },
        payload: form,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().scope).toBe('credentials:read vehicles:read');
      const call = await t.call(res.json().access_token, 'GET', '/credentials');
      expect(call.statusCode).toBe(200);
      expect((await t.call(res.json().access_token, 'GET', '/audit')).statusCode).toBe(403);
    },
  );

  it('gives every operation a summary and a description, and every response a real description', () => {
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.summary, `${method} ${path}`).toMatch(/\S/);
        expect(op.description, `${method} ${path}`).toMatch(/\S/);
        for (const [status, response] of Object.entries(op.responses)) {
          expect(response.description, `${method} ${path} ${status}`).toMatch(/\S/);
          expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response');
        }
      }
    }
  });

  it('lists the problem types of each route, and carries the INVERS example', () => {
    const problemTypes = (op: Operation, status: string) =>
      op.responses[status]?.content?.['application/problem+json']?.schema.allOf?.[1]?.properties?.type?.enum;
    const del = spec.paths['/{brand}/credentials/{id}']!.delete!;
    expect(problemTypes(del, '401')).toEqual(['/problems/missing-token', '/problems/invalid-token']);
    expect(problemTypes(del, '403')).toEqual(['/problems/insufficient-scope']);
    expect(problemTypes(del, '404')).toEqual(['/problems/not-found', '/problems/unknown-brand']);
    expect(problemTypes(del, '409')).toEqual(['/problems/conflicting-resource']);
    expect(problemTypes(del, '412')).toEqual(['/problems/precondition-failed']);
    const create = spec.paths['/{brand}/credentials']!.post!;
    expect(problemTypes(create, '409')).toEqual([
      '/problems/name-already-exists',
      '/problems/limit-exceeded',
      '/problems/exchange-not-supported',
    ]);
    expect(problemTypes(create, '413')).toEqual(['/problems/payload-too-large']);
    expect(problemTypes(create, '422')).toEqual([
      '/problems/idempotency-key-reused',
      '/problems/credentials-rejected-by-brand',
      '/problems/validation-failed',
    ]);
    const exchange = spec.paths['/{brand}/credentials/{id}/token']!.post!;
    expect(problemTypes(exchange, '409')).toEqual(['/problems/exchange-not-supported', '/problems/brand-rejected-credentials']);
    expect(problemTypes(exchange, '502')).toEqual(['/problems/brand-unavailable']);
    expect(problemTypes(exchange, '503')).toEqual(['/problems/brand-unavailable', '/problems/service-unavailable']);
    expect(problemTypes(exchange, '504')).toEqual(['/problems/brand-timeout']);
    expect(problemTypes(spec.paths['/readyz']!.get!, '503')).toEqual(['/problems/service-unavailable']);
    expect(create.requestBody!.content['application/json']!.example).toEqual({
      name: 'NIU fleet Berlin',
      client_id: 'client1',
      client_secret: 'supersecret',
    });
  });
});
