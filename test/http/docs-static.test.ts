import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** The fuzzer's 500s under /docs/static/ are 4xx problem documents (or a real file). */
describe('Swagger UI static files refuse bad paths with problem documents', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const notFound = [
    '/docs/static/%00',
    '/docs/static/index.css%00.js',
    '/docs/static/..%5c..%5cpackage.json',
    '/docs/static/%2e%2e%5c%2e%2e%5cpackage.json',
    '/docs/static//etc/passwd',
    '/docs/static/../package.json',
    '/docs/static/../../package.json',
    '/docs/static/no-such-file.js',
  ];
  for (const url of notFound) {
    it(`answers GET ${url} with a 404 problem document`, async () => {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ type: '/problems/not-found', status: 404 });
      expect(res.body).not.toContain('"name"');
    });
  }

  it('answers a failed If-Unmodified-Since with 412 precondition-failed', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/docs/static/',
      headers: { 'if-unmodified-since': 'Mon, 01 Jan 1990 00:00:00 GMT' },
    });
    expect(res.statusCode).toBe(412);
    expect(res.json()).toMatchObject({ type: '/problems/precondition-failed', status: 412 });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('still serves the real files', async () => {
    for (const url of ['/docs/static/', '/docs/static/.', '/docs/static/swagger-ui.css']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
    }
  });
});
