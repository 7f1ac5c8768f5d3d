import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildExchangeApp, type ExchangeTestApp } from '../helpers/exchange-app.js';
import { expectProblem } from '../helpers/test-app.js';

/**
 * A "brand" on loopback. Its first answer is a quick 401 (so the vault's fetch is warmed up: the first
 * fetch of a process takes long enough to start that megabytes would pile up in loopback's socket
 * buffers before anyone reads). Every later answer never ends: a JSON string in 16 KiB chunks, the next
 * one a timer turn after the previous one has drained, until the client goes away. It records how many
 * bytes it had written when it saw the connection close.
 */
async function endlessBrand(options: { contentLength?: number } = {}) {
  let requests = 0;
  let written = 0;
  let resolveClosed: (bytes: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  const chunk = Buffer.alloc(16 * 1024, 'a');
  const server = http.createServer((req, res) => {
    req.resume();
    if ((requests += 1) === 1) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_client"}');
      return;
    }
    res.on('close', () => resolveClosed(written));
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(options.contentLength !== undefined && { 'content-length': String(options.contentLength) }),
    });
    res.write('{"access_token":"');
    const more = () => {
      if (res.destroyed) return;
      written += chunk.length;
      if (res.write(chunk)) setTimeout(more, 1);
      else res.once('drain', () => setTimeout(more, 1));
    };
    more();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let x: ExchangeTestApp | undefined;
let brand: Awaited<ReturnType<typeof endlessBrand>> | undefined;
afterEach(async () => {
  await x?.close();
  await brand?.close();
});

/** A smartcar credential, exchanged once against the brand's warm-up 401. */
async function smartcarCredential(app: ExchangeTestApp): Promise<string> {
  const res = await app.t.call(app.token, 'POST', '/smartcar/credentials', { client_id: 'sc-endless', client_secret: 'sc-secret' });
  expect(res.statusCode, res.body).toBe(201);
  expectProblem(await app.exchange(res.json().id, 'smartcar'), 'brand-rejected-credentials', 409);
  return res.json().id;
}

describe('the brand answer is capped at 64 KiB while it streams (docs/brands.md)', () => {
  it('an endless answer: 502 brand-unavailable, not a timeout, and the connection is closed before ~1 MB has left', async () => {
    brand = await endlessBrand();
    // A timeout long enough that reading the whole stream would end in 504 brand-timeout instead.
    x = await buildExchangeApp({ env: { FLEETVAULT_BRAND_URL_SMARTCAR: brand.url, FLEETVAULT_BRAND_TIMEOUT_MS: '3000' } });
    const id = await smartcarCredential(x);
    const res = await x.exchange(id, 'smartcar');
    expect(expectProblem(res, 'brand-unavailable', 502).brand_status).toBe(200);
    const sent = await brand.closed;
    expect(sent).toBeLessThan(1024 * 1024);
    expect(x.events.at(-1)!.event).toMatchObject({ outcome: 'failure', details: { cached: false, brand_status: 200 } });
  });

  it('a Content-Length over the cap is refused before reading the body', async () => {
    brand = await endlessBrand({ contentLength: 50 * 1024 * 1024 });
    x = await buildExchangeApp({ env: { FLEETVAULT_BRAND_URL_SMARTCAR: brand.url, FLEETVAULT_BRAND_TIMEOUT_MS: '3000' } });
    const id = await smartcarCredential(x);
    expectProblem(await x.exchange(id, 'smartcar'), 'brand-unavailable', 502);
    expect(await brand.closed).toBeLessThan(1024 * 1024);
  });
});
