import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, serveMetricsOn } from '../../src/http/metrics.js';
import { buildTestApp, type TestApp } from '../helpers/test-app.js';

/** The value of one sample line of the Prometheus text, or undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = (match[2] ?? '').split(',');
    if (wanted.every((w) => have.includes(w))) return Number(match[3]);
  }
  return undefined;
}

describe('GET /metrics', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return res.body;
  };

  it('counts credentials created, rotated and deleted by brand, never naming a credential or a secret', async () => {
    const { token } = await t.newFleet();
    const created = await t.call(token, 'POST', '/NIU/credentials', {
      name: 'Depot Nord Account',
      client_id: 'cid-metrics',
      client_secret: 'metrics-secret-1',
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect((await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'metrics-secret-2' })).statusCode).toBe(200);
    expect((await t.call(token, 'PATCH', `/niu/credentials/${id}`, { client_secret: 'metrics-secret-3' })).statusCode).toBe(200);
    expect((await t.call(token, 'POST', `/niu/credentials/${id}/versions/1/restore`)).statusCode).toBe(200);
    // A refused create counts nothing, and neither does an idempotent replay of a create.
    const replayed = { client_id: 'cid-metrics-2', client_secret: 'metrics-secret-4' };
    for (let i = 0; i < 2; i++) {
      expect((await t.call(token, 'POST', '/niu/credentials', replayed, { 'idempotency-key': 'metrics-replay' })).statusCode).toBe(201);
    }
    expect((await t.call(token, 'POST', '/niu/credentials', { client_id: 'x' })).statusCode).toBe(422);
    expect((await t.call(token, 'DELETE', `/niu/credentials/${id}`)).statusCode).toBe(204);

    const text = await scrape();
    expect(sample(text, 'fleetvault_credentials_created_total', { brand: 'niu' })).toBe(2);
    expect(sample(text, 'fleetvault_credentials_rotated_total', { brand: 'niu' })).toBe(2);
    expect(sample(text, 'fleetvault_credentials_restored_total', { brand: 'niu' })).toBe(1);
    expect(sample(text, 'fleetvault_credentials_deleted_total', { brand: 'niu' })).toBe(1);
    for (const leak of ['Depot Nord', 'cid-metrics', 'metrics-secret', id, token]) expect(text).not.toContain(leak);
  });

  it('times requests by method, route template and status class', async () => {
    const { token } = await t.newFleet();
    await t.call(token, 'GET', '/niu/credentials');
    await t.call(token, 'GET', '/niu/credentials/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    await t.app.inject({ method: 'GET', url: '/wp-admin/setup.php' });
    const text = await scrape();
    expect(
      sample(text, 'fleetvault_http_request_duration_seconds_count', { method: 'GET', route: '/:brand/credentials', status_class: '2xx' }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'fleetvault_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/:brand/credentials/:id',
        status_class: '4xx',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(text, 'fleetvault_http_request_duration_seconds_bucket', { route: '/:brand/credentials', le: '+Inf' }),
    ).toBeGreaterThanOrEqual(1);
    // Unmatched paths share one series, so a scanner cannot grow the label set.
    expect(
      sample(text, 'fleetvault_http_request_duration_seconds_count', { route: 'unmatched', status_class: '4xx' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('wp-admin');
  });

  it('counts issued tokens by grant and authentication failures by reason', async () => {
    const fleet = await t.newFleet(['credentials:read']);
    const before = sample(await scrape(), 'fleetvault_tokens_issued_total', { grant: 'client_credentials' }) ?? 0;
    await t.tokenFor(fleet.fleetId, ['vehicles:read']);
    await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      payload: { grant_type: 'client_credentials', client_id: fleet.clientId, client_secret: 'wrong' },
    });
    await t.app.inject({ method: 'GET', url: '/credentials' });
    await t.call('not-a-jwt', 'GET', '/credentials');
    await t.call(fleet.token, 'POST', '/niu/credentials', { client_id: 'a', client_secret: 'b' });
    const text = await scrape();
    expect(sample(text, 'fleetvault_tokens_issued_total', { grant: 'client_credentials' })).toBe(before + 1);
    for (const reason of ['invalid_client', 'missing_token', 'invalid_token', 'insufficient_scope']) {
      expect(sample(text, 'fleetvault_authentication_failures_total', { reason }), reason).toBeGreaterThanOrEqual(1);
    }
    expect(text).not.toContain(fleet.clientId);
  });

  it('includes process metrics', async () => {
    const text = await scrape();
    expect(sample(text, 'process_resident_memory_bytes', {})).toBeGreaterThan(0);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('keeps each app in a registry of its own', async () => {
    const other = await buildTestApp();
    try {
      const text = (await other.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sample(text, 'fleetvault_credentials_created_total', { brand: 'niu' })).toBeUndefined();
    } finally {
      await other.close();
    }
  });
});

describe('METRICS_PORT', () => {
  it('moves /metrics off the API port onto its own', async () => {
    const t = await buildTestApp({ env: { METRICS_PORT: '9464' } });
    try {
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
    } finally {
      await t.close();
    }
    const metrics = createMetrics();
    metrics.authenticationFailures.inc({ reason: 'invalid_client' });
    const server = await serveMetricsOn(metrics, 0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(sample(await res.text(), 'fleetvault_authentication_failures_total', { reason: 'invalid_client' })).toBe(1);
      expect((await fetch(`${base}/credentials`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
