import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildTestApp, type TestApp } from './helpers/test-app.js';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: { allOf?: { properties?: { type?: { enum?: string[] } } }[] } }> }>;
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
    const page = ui.statusCode === 302 ? await t.app.inject({ method: 'GET', url: String(ui.headers.location).replace(/^\.\//, '/docs/') }) : ui;
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger-ui');
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

  it('names both security schemes: bearer tokens with the scope each route needs, and the token endpoint client authentication', () => {
    expect(spec.components.securitySchemes.bearerAuth!.type).toBe('http');
    expect(spec.components.securitySchemes.clientSecretBasic!.type).toBe('http');
    expect(spec.components.securitySchemes.clientCredentials).toMatchObject({
      type: 'oauth2',
      'x-token-endpoint-auth-methods-supported': ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    });
    expect(spec.paths['/{brand}/credentials']!.post!.security).toEqual([{ bearerAuth: ['credentials:write'] }]);
    expect(spec.paths['/vehicles/{id}']!.get!.security).toEqual([{ bearerAuth: ['vehicles:read'] }]);
    expect(spec.paths['/oauth/token']!.post!.security).toEqual([{ clientSecretBasic: [] }, { clientCredentials: [] }]);
  });

  it('lists the problem types of each route, and carries the INVERS example', () => {
    const problemTypes = (op: Operation, status: string) => op.responses[status]?.content?.['application/problem+json']?.schema.allOf?.[1]?.properties?.type?.enum;
    const del = spec.paths['/{brand}/credentials/{id}']!.delete!;
    expect(problemTypes(del, '401')).toEqual(['/problems/missing-token', '/problems/invalid-token']);
    expect(problemTypes(del, '403')).toEqual(['/problems/insufficient-scope']);
    expect(problemTypes(del, '404')).toEqual(['/problems/not-found', '/problems/unknown-brand']);
    expect(problemTypes(del, '409')).toEqual(['/problems/conflicting-resource']);
    expect(problemTypes(del, '412')).toEqual(['/problems/precondition-failed']);
    const create = spec.paths['/{brand}/credentials']!.post!;
    expect(problemTypes(create, '409')).toEqual(['/problems/name-already-exists', '/problems/limit-exceeded']);
    expect(problemTypes(create, '413')).toEqual(['/problems/payload-too-large']);
    expect(problemTypes(create, '422')).toEqual(['/problems/idempotency-key-reused', '/problems/validation-failed']);
    expect(problemTypes(spec.paths['/readyz']!.get!, '503')).toEqual(['/problems/service-unavailable']);
    expect(create.requestBody!.content['application/json']!.example).toEqual({ name: 'NIU fleet Berlin', client_id: 'client1', client_secret: 'supersecret' });
  });
});
