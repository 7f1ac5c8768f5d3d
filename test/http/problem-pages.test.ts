import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProblemCode, problemTypes } from '../../src/core/app-error.js';
import { problemDescriptions } from '../../src/http/problem-descriptions.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

const CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const entities: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const html = (text: string) => text.replace(/[&<>"']/g, (c) => entities[c]!);

let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(() => t?.close());

describe('problem type pages (GET /problems/<slug>)', () => {
  const codes = Object.keys(problemTypes) as ProblemCode[];
  it.each(codes)('%s: a short HTML page with its title, status and meaning, under a strict CSP', async (code) => {
    const res = await t.app.inject({ method: 'GET', url: `/problems/${code}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(CSP);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toMatch(/^<!doctype html>/);
    expect(res.body).toContain(`<h1>${html(problemTypes[code].title)}</h1>`);
    expect(res.body).toContain(`HTTP status ${problemTypes[code].status}.`);
    expect(res.body).toContain(html(problemDescriptions[code]));
    // Static: nothing a strict CSP would have to allow.
    expect(res.body).not.toMatch(/<script|<style|style=/i);
  });

  it('is where the `type` of a real problem leads', async () => {
    const problem = expectProblem(await t.app.inject({ method: 'GET', url: '/credentials' }), 'missing-token', 401);
    const page = await t.app.inject({ method: 'GET', url: String(problem.type) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Missing bearer token</h1>');
  });

  it('answers 404 not-found for a slug that is no problem type (prototype names included)', async () => {
    for (const slug of ['no-such-problem', '__proto__', 'constructor', 'NOT-FOUND']) {
      expectProblem(await t.app.inject({ method: 'GET', url: `/problems/${slug}` }), 'not-found', 404);
    }
    expectProblem(await t.app.inject({ method: 'GET', url: `/problems/${'x'.repeat(65)}` }), 'validation-failed', 422);
  });

  it('exists for every problem type the OpenAPI document lists on a route', async () => {
    type ProblemContent = { schema: { allOf?: { properties?: { type?: { enum?: string[] } } }[] } };
    type Spec = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, ProblemContent> }> }>> };
    const spec = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Spec;
    const listed = new Set<string>();
    for (const ops of Object.values(spec.paths)) {
      for (const op of Object.values(ops)) {
        for (const response of Object.values(op.responses)) {
          const types = response.content?.['application/problem+json']?.schema.allOf?.[1]?.properties?.type?.enum ?? [];
          for (const type of types) listed.add(type);
        }
      }
    }
    expect(listed.size).toBeGreaterThan(10);
    for (const type of listed) expect((await t.app.inject({ method: 'GET', url: type })).statusCode, type).toBe(200);
  });
});
