import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * While app.close() drains (SIGTERM in src/server.ts), a request that still arrives on a kept-alive connection is
 * refused 503 problem+json with Retry-After and Connection: close, and a request already in flight finishes.
 * Real sockets: inject() refuses to run once the app is closing.
 */
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  reusedSocket: boolean;
}

function answerOf(request: http.ClientRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode!, headers: res.headers, body, reusedSocket: request.reusedSocket }));
    });
  });
}

/** Resolves once fastify calls server.close(): its preClose hooks have run, so the drain has begun. */
function serverCloseCalled(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    const close = server.close.bind(server);
    server.close = (callback?: (error?: Error) => void) => {
      resolve();
      return close(callback);
    };
  });
}

/** Starts a listening app with a fleet; returns the options every request on one kept-alive connection shares. */
async function listeningApp() {
  t = await buildTestApp();
  const { token } = await t.newFleet();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;
  // One socket: every request below travels on the same kept-alive connection.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return { host: '127.0.0.1', port, agent, headers: { authorization: `Bearer ${token}` } };
}

/**
 * Sends a POST /niu/credentials that is routed before the close begins but whose body is sent only after it, then
 * `refused(base)` on the same kept-alive connection once the drain has begun; answers both and awaits the close.
 */
async function drainWithRequestInFlight(refused: (base: Awaited<ReturnType<typeof listeningApp>>) => http.ClientRequest) {
  const base = await listeningApp();
  const app = t!.app;
  const body = JSON.stringify(niuExample);

  const arrived = once(app.server, 'request');
  const inFlight = http.request({
    ...base,
    method: 'POST',
    path: '/niu/credentials',
    headers: { ...base.headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
  });
  const firstAnswer = answerOf(inFlight);
  inFlight.flushHeaders();
  await arrived;
  // The request's onRequest hooks are promise callbacks that do no I/O before the body is read: all have run once
  // the microtask queue has drained, which setImmediate waits for. The request is now in flight, waiting for its body.
  await new Promise(setImmediate);

  const drainBegun = serverCloseCalled(app.server);
  const closed = app.close();
  await drainBegun;

  inFlight.end(body);
  const first = await firstAnswer;
  // Sent after the close began, on the connection the in-flight request kept alive.
  const second = await answerOf(refused(base));
  // Both answers are out and the connection closed after the second: nothing holds the close any more.
  await closed;
  base.agent.destroy();
  return { first, second };
}

describe('a request that arrives while the server drains', () => {
  it('is 503 service-unavailable problem+json with Retry-After and Connection: close; the one in flight finishes', async () => {
    const { first, second } = await drainWithRequestInFlight((base) => http.get({ ...base, path: '/niu/credentials' }));

    expect(first.status, first.body).toBe(201);
    expect(JSON.parse(first.body)).toMatchObject({ name: niuExample.name, brand: 'niu' });

    expect(second.reusedSocket).toBe(true);
    expect(second.status).toBe(503);
    expect(second.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(second.headers.connection).toBe('close');
    expect(second.headers['retry-after']).toBe('1');
    expect(second.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(second.body)).toEqual({
      type: '/problems/service-unavailable',
      title: 'Service unavailable',
      status: 503,
      detail: 'This server is shutting down; retry the request.',
      request_id: second.headers['x-request-id'],
    });
  });

  it('at the token endpoint is its documented 503: RFC 6749 temporarily_unavailable, with Retry-After and Connection: close', async () => {
    const { first, second } = await drainWithRequestInFlight((base) => {
      const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'any', client_secret: 'any' }).toString();
      const request = http.request({
        ...base,
        method: 'POST',
        path: '/oauth/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(form.length) },
      });
      request.end(form);
      return request;
    });

    expect(first.status, first.body).toBe(201);
    expect(second.reusedSocket).toBe(true);
    expect(second.status).toBe(503);
    expect(second.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(second.headers.connection).toBe('close');
    expect(second.headers['retry-after']).toBe('1');
    expect(JSON.parse(second.body)).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'the service is temporarily unavailable; retry shortly',
    });
  });
});
