import { Counter, Gauge, type Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import type { Keyring } from '../crypto/keyring.js';
import type { Store } from '../db/store.js';
import type { WebhookDeliveryRepo } from './webhook-deliveries.repo.js';
import type { WebhookRepo } from './webhooks.repo.js';
import { changeEventBody } from '../events/change-event.js';
import type { DeliveryRow } from './webhook-deliveries.repo.js';
import { type AttemptResult, sendAttempt } from './webhook-sender.js';
import type { WebhookSettings } from './webhook-settings.js';
import { checkWebhookUrl, type WebhookUrlRules } from './webhook-url.js';

/** An endpoint whose attempts have all failed this long is disabled (docs/design.md §2.13). */
export const DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;
/** How often an idle dispatcher looks for due deliveries. */
export const POLL_MS = 100;
/**
 * A claim lasts twice the attempt's timeout and this margin (an attempt ends by its timeout, then records): a
 * process killed mid-send leaves its claims to the next claim after that.
 */
const LEASE_MARGIN_MS = 5_000;

export type DeliveryOutcome = 'succeeded' | 'retried' | 'failed';

/**
 * Sends the outbox (docs/design.md §2.13): claims due deliveries (SKIP LOCKED on PostgreSQL, so replicas share the
 * work without sending one delivery twice at once), signs each with every live secret of its webhook through the
 * `standardwebhooks` package, POSTs it after checking the URL rules again, and records the outcome: succeeded, due
 * again after the next delay of the retry schedule, or failed once the schedule is used up. `webhook-id` is the audit
 * event id, the same on every attempt. At most `concurrency` attempts are in flight.
 */
export function createWebhookDispatcher(deps: {
  store: Store<{ webhooks: WebhookRepo; webhookDeliveries: WebhookDeliveryRepo }>;
  keyring: Keyring;
  clock: Clock;
  settings: WebhookSettings;
  urlRules: WebhookUrlRules;
  registry: Registry;
  logger?: Pick<Logger, 'warn'> | undefined;
}) {
  const { store, keyring, clock, settings, urlRules, logger } = deps;
  const { deliveries, webhooks } = { deliveries: store.repos.webhookDeliveries, webhooks: store.repos.webhooks };
  const outcomes = new Counter({
    name: 'fleetvault_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: succeeded, retried (failed, another attempt is due), failed (schedule used up).',
    labelNames: ['outcome'] as const,
    registers: [deps.registry],
  });
  let stats: Promise<{ pending: number; oldest: string | null }> | undefined;
  const pendingStats = () => (stats ??= deliveries.pendingStats().finally(() => (stats = undefined)));
  new Gauge({
    name: 'fleetvault_webhook_queue_depth',
    help: 'Webhook deliveries pending (due now or waiting for a retry).',
    registers: [deps.registry],
    async collect() {
      this.set((await pendingStats()).pending);
    },
  });
  new Gauge({
    name: 'fleetvault_webhook_oldest_pending_seconds',
    help: 'Age of the oldest pending webhook delivery, 0 when none.',
    registers: [deps.registry],
    async collect() {
      const { oldest } = await pendingStats();
      this.set(oldest === null ? 0 : Math.max(0, (clock.now().getTime() - Date.parse(oldest)) / 1000));
    },
  });

  let inFlight = 0;
  const running = new Set<Promise<void>>();

  async function attempt(delivery: DeliveryRow, body: string): Promise<AttemptResult> {
    const webhook = await webhooks.findById(delivery.fleet_id, delivery.webhook_id);
    if (webhook === undefined) return { status: null, error: 'webhook deleted' };
    const verdict = await checkWebhookUrl(webhook.url, urlRules);
    if (!verdict.ok) return { status: null, error: `refused: ${verdict.reason}` };
    const now = clock.now();
    const secrets = await webhooks.liveSecrets(delivery.fleet_id, delivery.webhook_id, now.toISOString());
    const signatures: string[] = [];
    for (const s of secrets) {
      const secret = await keyring.openWebhookSecret(delivery.fleet_id, delivery.webhook_id, s.version, s.sealed_secret, s.data_key_id);
      signatures.push(new Webhook(secret).sign(delivery.event_id, now, body));
    }
    return sendAttempt({
      url: verdict.url,
      address: verdict.address,
      body,
      timeoutMs: settings.timeoutMs,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'fleetvault-webhooks',
        'webhook-id': delivery.event_id,
        'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
        // Standard Webhooks: several signatures are space-delimited (one per live secret during a rotation's overlap).
        'webhook-signature': signatures.join(' '),
      },
    });
  }

  async function deliver(delivery: DeliveryRow, body: string | undefined): Promise<void> {
    let result: AttemptResult;
    try {
      result = body === undefined ? { status: null, error: 'event missing' } : await attempt(delivery, body);
    } catch (error) {
      result = { status: null, error: (error as Error).name };
    }
    const now = clock.now();
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    const delay = settings.retryScheduleSeconds[delivery.attempts - 1];
    const outcome: DeliveryOutcome = ok ? 'succeeded' : delay === undefined ? 'failed' : 'retried';
    const error =
      result.status === null
        ? result.error
        : ok
          ? null
          : result.status >= 300 && result.status < 400
            ? `HTTP ${result.status} (redirect not followed)`
            : `HTTP ${result.status}`;
    // Through the unit of work: on SQLite concurrent outcomes share one group commit (one fsync), not one each.
    await store.transaction((repos) =>
      repos.webhookDeliveries.record(delivery.id, {
        state: outcome === 'retried' ? 'pending' : outcome,
        next_attempt_at: new Date(now.getTime() + (delay ?? 0) * 1000).toISOString(),
        last_status: result.status,
        last_error: error,
        delivered_at: ok ? now.toISOString() : null,
      }),
    );
    outcomes.inc({ outcome });
    if (ok) {
      await webhooks.markHealthy(delivery.fleet_id, delivery.webhook_id);
      return;
    }
    // Ids, the attempt and why: never the body, the secret or anything the receiver answered.
    logger?.warn(
      {
        webhook_id: delivery.webhook_id,
        delivery_id: delivery.id,
        event_id: delivery.event_id,
        attempt: delivery.attempts,
        status: result.status,
        error,
        outcome,
      },
      'webhook delivery attempt failed',
    );
    const disableBefore = new Date(now.getTime() - DISABLE_AFTER_MS).toISOString();
    const reason = 'every delivery failed for 5 days';
    if (await webhooks.markFailing(delivery.fleet_id, delivery.webhook_id, now.toISOString(), disableBefore, reason)) {
      logger?.warn({ webhook_id: delivery.webhook_id }, 'webhook disabled: every delivery failed for 5 days');
    }
  }

  /** Claims what fits in the free slots and starts sending it; returns how many were claimed. */
  async function tick(): Promise<number> {
    const free = settings.concurrency - inFlight;
    if (free <= 0) return 0;
    const now = clock.now();
    const lease = new Date(now.getTime() + 2 * settings.timeoutMs + LEASE_MARGIN_MS).toISOString();
    const claimed = await deliveries.claimDue(now.toISOString(), lease, free);
    if (claimed.length === 0) return 0;
    const events = await deliveries.events(claimed.map((d) => d.event_id));
    for (const delivery of claimed) {
      const event = events.get(delivery.event_id);
      inFlight++;
      const job = deliver(delivery, event && JSON.stringify(changeEventBody(event)))
        .catch((error: unknown) =>
          logger?.warn({ delivery_id: delivery.id, reason: (error as Error).message }, 'recording a webhook attempt failed'),
        )
        .finally(() => {
          inFlight--;
          running.delete(job);
          // A slot is free: claim again now rather than at the next poll.
          wake();
        });
      running.add(job);
    }
    return claimed.length;
  }

  let timer: NodeJS.Timeout | undefined;
  let stopped = true;
  let looping = false;
  const schedule = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => void loop(), ms);
  };
  const loop = async () => {
    if (stopped || looping) return;
    looping = true;
    try {
      // Something claimed means more may be due: look again at once (bounded by the free slots), else after POLL_MS.
      const claimed = await tick();
      schedule(claimed > 0 && inFlight < settings.concurrency ? 0 : POLL_MS);
    } catch (error) {
      logger?.warn({ reason: (error as Error).message }, 'claiming webhook deliveries failed; retried at the next tick');
      schedule(POLL_MS);
    } finally {
      looping = false;
    }
  };
  function wake(): void {
    if (!stopped && !looping) schedule(0);
  }

  return {
    tick,
    /** Resolves once every attempt started so far has been recorded. */
    async settle(): Promise<void> {
      while (running.size > 0) await Promise.all([...running]);
    },
    start(): void {
      if (!stopped) return;
      stopped = false;
      void loop();
    },
    /** Stops claiming and waits for the attempts in flight (each bounded by the timeout). */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
