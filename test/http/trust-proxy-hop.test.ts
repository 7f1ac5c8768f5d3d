import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A real proxy hop on loopback: callers on 127.0.0.2 and 127.0.0.3 reach a forwarding proxy that
 * connects to the app from 127.0.0.1 and appends the caller's address to X-Forwarded-For, as
 * balancers do. Only the proxy (127.0.0.1) is trusted; callers forge left-most entries.
 */
let t: TestApp | undefined;
let proxy: http.Server | undefined;
afterEach(async () => {
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  proxy = undefined;
  await t?.close();
  t = undefined;
});

/** Forwards each request to `target`, X-Forwarded-For extended by the caller's address. */
async function startProxy(target: number): Promise<number> {
  proxy = http.createServer((req, res) => {
    const forwarded = [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter((v) => v !== undefined).join(', ');
    const upstream = http.request(
      { host: '127.0.0.1', port: target, localAddress: '127.0.0.1', method: req.method, path: req.url, agent: false },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) upstream.setHeader(name, value);
    upstream.setHeader('x-forwarded-for', forwarded);
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
  return (proxy.address() as AddressInfo).port;
}

/** GET /vehicles without a token from `localAddress`, with a forged X-Forwarded-For; the status. */
function send(port: number, localAddress: string, forgedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, localAddress, path: '/vehicles', agent: false, headers: { 'x-forwarded-for': forgedFor } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function appBehindProxy(env: Record<string, string>) {
  t = await buildTestApp({ env: { FLEETVAULT_RATE_LIMIT_PER_ADDRESS: '2', ...env } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const appPort = (t.app.server.address() as AddressInfo).port;
  return { appPort, proxyPort: await startProxy(appPort) };
}

describe('FLEETVAULT_TRUST_PROXY behind a real proxy hop', () => {
  it('limits the right-most untrusted address: forged left-most entries neither escape nor share a limit', async () => {
    const { appPort, proxyPort } = await appBehindProxy({ FLEETVAULT_TRUST_PROXY: '127.0.0.1' });
    // Caller A changes its forged entry on every request: one bucket all the same.
    const a = [];
    for (const forged of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) a.push(await send(proxyPort, '127.0.0.2', forged));
    expect(a).toEqual([401, 401, 429]);
    // Caller B forges A's address and A's entries: its own bucket.
    const b = [];
    for (const forged of ['127.0.0.2', '198.51.100.1', '198.51.100.1']) b.push(await send(proxyPort, '127.0.0.3', forged));
    expect(b).toEqual([401, 401, 429]);
    // A caller that bypasses the proxy is not trusted to forward: its X-Forwarded-For is not read.
    expect(await send(appPort, '127.0.0.2', '203.0.113.77')).toBe(429);
    expect(await send(appPort, '127.0.0.4', '127.0.0.2')).toBe(401);
  });

  it('with FLEETVAULT_TRUST_PROXY unset, X-Forwarded-For is ignored: every caller has the proxy\u2019s address', async () => {
    const { proxyPort } = await appBehindProxy({});
    expect(await send(proxyPort, '127.0.0.2', '198.51.100.1')).toBe(401);
    expect(await send(proxyPort, '127.0.0.3', '198.51.100.2')).toBe(401);
    expect(await send(proxyPort, '127.0.0.4', '198.51.100.3')).toBe(429);
  });
});
