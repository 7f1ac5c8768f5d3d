import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDEMPOTENCY_PRUNE_INTERVAL_MS } from '../../src/credentials/idempotency-pruning.js';
import { buildTestApp, niuExample, type TestApp } from '../helpers/test-app.js';

/**
 * Idempotency records outlive their 24 h window by at most the prune interval:
 * each holds the first response, a view of the credential, which must not stay once the window is over.
 */
const DAY_MS = 24 * 60 * 60 * 1000;
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };
const apps: TestApp[] = [];

afterEach(async () => {
  vi.useRealTimers();
  offsetMs = 0;
  const started = apps.splice(0);
  for (const t of [...started].reverse()) await t.close({ keepData: t !== started[0] });
});

async function start(reuse?: TestApp) {
  const t = await buildTestApp({ clock, ...(reuse && { reuse, masterKeys: reuse.masterKeys }) });
  apps.push(t);
  return t;
}

const keys = async (t: TestApp) =>
  (await t.deps.database.db.selectFrom('idempotency_keys').select('idempotency_key').execute()).map((r) => r.idempotency_key).sort();

async function createWithKey(t: TestApp, token: string, key: string) {
  const res = await t.call(token, 'POST', '/niu/credentials', { ...niuExample, name: key, client_id: key }, { 'idempotency-key': key });
  expect(res.statusCode).toBe(201);
}

describe('pruning idempotency records', () => {
  it('deletes records older than 24 h at start-up and keeps younger ones', async () => {
    const first = await start();
    const { token } = await first.newFleet();
    await createWithKey(first, token, 'old-key');
    offsetMs = 2 * 60 * 60 * 1000;
    await createWithKey(first, token, 'young-key');
    expect(await keys(first)).toEqual(['old-key', 'young-key']);

    offsetMs = DAY_MS + 60 * 60 * 1000;
    const restarted = await start(first);
    expect(await keys(restarted)).toEqual(['young-key']);
  });

  it('deletes them periodically while running', async () => {
    vi.useFakeTimers({ toFake: ['setInterval'] });
    const t = await start();
    const { token } = await t.newFleet();
    await createWithKey(t, token, 'expiring-key');
    offsetMs = DAY_MS + 1000;
    expect(await keys(t)).toEqual(['expiring-key']);
    vi.advanceTimersByTime(IDEMPOTENCY_PRUNE_INTERVAL_MS);
    await vi.waitFor(async () => expect(await keys(t)).toEqual([]));
  });
});
