import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the socket's close. */
  closedAfterMs: number;
}

/** Sends `chunks` on a fresh connection (each after `gapMs`, until the server closes it) and reads until the server closes. */
function raw(port: number, chunks: (string | Buffer)[], gapMs = 0): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    socket.on('data', (data) => received.push(data));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body, closedAfterMs: Date.now() - started });
    });
    const queue = [...chunks];
    const sendNext = () => {
      const chunk = queue.shift();
      if (chunk === undefined || socket.destroyed) return;
      socket.write(chunk);
      timer = setTimeout(sendNext, gapMs);
    };
    socket.on('connect', sendNext);
  });
}

function expectProblem(res: RawResponse, status: number, type: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(res.headers.connection).toBe('close');
  const problem = JSON.parse(res.body);
  expect(problem).toMatchObject({ type, status });
  expect(problem.request_id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  expect(res.headers['x-request-id']).toBe(problem.request_id);
  expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
}

describe('errors of the HTTP parser layer', () => {
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp();
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  const cases: [string, string | Buffer][] = [
    ['a lower-case method', 'get /oauth/token HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['HTTP/9', 'GET /healthz HTTP/9\r\nHost: x\r\n\r\n'],
    ['two different Content-Length headers', 'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'],
    [
      'a non-ASCII byte in the path',
      Buffer.concat([Buffer.from('GET /healthz'), Buffer.from([0xff]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]),
    ],
    ['a request line without a version', 'GET /healthz \r\nHost: x\r\n\r\n'],
  ];
  for (const [what, request] of cases) {
    it(`answers ${what} with a 400 problem document and closes`, async () => {
      expectProblem(await raw(port, [request]), 400, '/problems/malformed-request');
    });
  }

  it('answers headers over the limit with a 431 problem document', async () => {
    const res = await raw(port, [`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    expectProblem(res, 431, '/problems/request-header-fields-too-large');
  });

  it('answers over-long chunk extensions with a 413 problem document', async () => {
    const res = await raw(port, [
      `POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: ` +
        `chunked\r\n\r\n1;${'e'.repeat(20_000)}\r\na\r\n`,
    ]);
    expectProblem(res, 413, '/problems/payload-too-large');
  });

  it('answers an HTTP/1.1 request without Host with a 400 problem document (RFC 9112 §3.2)', async () => {
    const res = await raw(port, ['GET / HTTP/1.1\r\nConnection: close\r\n\r\n']);
    // Answered by the app's own error handler (past the parser), hence its charset parameter.
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(res.body)).toMatchObject({ type: '/problems/malformed-request', status: 400 });
  });

  it('still serves an HTTP/1.0 request without Host', async () => {
    const res = await raw(port, ['GET /healthz HTTP/1.0\r\n\r\n']);
    expect(res.status).toBe(200);
  });

  it('still serves a well-formed request on the same server', async () => {
    const res = await raw(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    expect(res.status).toBe(200);
  });
});

describe('request timeouts with a real socket', () => {
  const timeoutMs = 600;
  let t: TestApp;
  let port: number;
  beforeAll(async () => {
    t = await buildTestApp({ env: { FLEETVAULT_REQUEST_TIMEOUT_MS: String(timeoutMs) } });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    port = (t.app.server.address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('cuts a body sent one byte at a time with a 408 problem document long before the body could be complete', async () => {
    const head = 'POST /oauth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n';
    // Far more bytes than the timeout lets through: the server, not the end of the body, ends this.
    const res = await raw(port, [head, ...Array.from({ length: 1000 }, () => ' ')], 100);
    expectProblem(res, 408, '/problems/request-timeout');
    expect(res.closedAfterMs).toBeGreaterThanOrEqual(timeoutMs);
  });

  it('cuts headers sent one line at a time with a 408 problem document', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `X-Slow-${i}: 1\r\n`);
    const res = await raw(port, ['GET /healthz HTTP/1.1\r\nHost: x\r\n', ...lines], 100);
    expectProblem(res, 408, '/problems/request-timeout');
    expect(res.closedAfterMs).toBeGreaterThanOrEqual(timeoutMs);
  });
});
