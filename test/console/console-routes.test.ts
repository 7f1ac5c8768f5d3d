import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP, registerConsole } from '../../src/console/console.routes.js';
import { projectRoot } from '../../src/db/project-root.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { buildTestApp, expectProblem, type TestApp } from '../helpers/test-app.js';

/** How /console is served (the global setup built it into dist/console): headers, encoding, and only its own files. */
let t: TestApp;
const built = path.join(projectRoot(), 'dist', 'console');
const index = fs.readFileSync(path.join(built, 'index.html'), 'utf8');
const script = /src="\/console\/(assets\/[^"]+\.js)"/.exec(index)![1]!;

beforeAll(async () => {
  t = await buildTestApp();
});
afterAll(async () => {
  await t?.close();
});

function expectConsoleHeaders(headers: Record<string, unknown>) {
  expect(headers['content-security-policy']).toBe(CONSOLE_CSP);
  expect(headers['x-frame-options']).toBe('DENY');
  expect(headers['referrer-policy']).toBe('no-referrer');
  expect(headers['x-content-type-options']).toBe('nosniff');
}

/** One request with the path exactly as written (no client-side normalisation of `..`). */
function rawGet(port: number, rawPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`GET ${rawPath} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

describe('/console', () => {
  it('serves the page at /console and /console/ with the strict CSP', async () => {
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).toContain("require-trusted-types-for 'script'; trusted-types 'none'");
    expect(CONSOLE_CSP).not.toContain('unsafe-inline');
    for (const url of ['/console', '/console/']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-store');
      expectConsoleHeaders(res.headers);
      expect(res.body).toBe(index);
    }
  });

  it('has no inline script or style for the CSP to refuse', () => {
    expect(index).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(index).not.toMatch(/<style|style=/);
  });

  it('serves hashed assets gzipped when asked, cacheable for a year', async () => {
    const plain = await t.app.inject({ method: 'GET', url: `/console/${script}` });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expectConsoleHeaders(plain.headers);
    const gz = await t.app.inject({ method: 'GET', url: `/console/${script}`, headers: { 'accept-encoding': 'br, gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(plain.body);
    const refused = await t.app.inject({ method: 'GET', url: `/console/${script}`, headers: { 'accept-encoding': 'gzip;q=0' } });
    expect(refused.headers['content-encoding']).toBeUndefined();
  });

  it('answers 404 problem+json, with the CSP, for a file it does not have', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/console/nope.js' });
    expectProblem(res, 'not-found', 404);
    expectConsoleHeaders(res.headers);
  });

  it('never serves a file outside the built console, however the path is written', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = t.app.server.address() as AddressInfo;
    const attempts = [
      '/console/../package.json',
      '/console/../../package.json',
      '/console/assets/../../../package.json',
      '/console/%2e%2e/package.json',
      '/console/%2e%2e%2f%2e%2e%2fpackage.json',
      '/console/..%2f..%2fpackage.json',
      '/console/..%5c..%5cpackage.json',
      '/console//etc/passwd',
      '/console/%2fetc%2fpasswd',
      '/console/assets/..%00/index.html',
      '/console/.vite/manifest.json',
    ];
    for (const attempt of attempts) {
      const answer = await rawGet(port, attempt);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      expect([400, 404], attempt).toContain(status);
      expect(answer, attempt).not.toContain('"name": "fleetvault"');
      expect(answer, attempt).not.toContain('root:x:0:0');
    }
  });

  it('keeps its CSP to the console: API responses do not carry it', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/brands' });
    expect(res.headers['content-security-policy']).toBeUndefined();
  });

  it('answers 503 problem+json naming the fix when the console was never built', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'fleetvault-console-'));
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    await registerConsole(app, { root: empty });
    const res = await app.inject({ method: 'GET', url: '/console' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      type: '/problems/service-unavailable',
      status: 503,
      detail: 'The console is not built: run `npm run build`.',
    });
    expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
    await app.close();
    fs.rmSync(empty, { recursive: true });
  });
});
