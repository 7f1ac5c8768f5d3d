import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditTrail } from '../audit/audit.service.js';
import { brandUrlWarnings, type Config } from '../config.js';
import type { CredentialService } from '../credentials/credentials.service.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../db/store.js';
import type { BrandAdapter } from '../brands/brand-adapter.js';
import { createBrandHttpClient } from './brand-http-client.js';
import { createCircuitBreakers } from './circuit-breaker.js';
import { createExchangeMetrics } from './exchange-metrics.js';
import { type AppendExchangeEvent, createExchangeService, type ExchangeRepos } from './exchange.service.js';
import { createTokenCache } from './token-cache.js';

/** What tests may swap; everything else comes from the config. */
export interface ExchangeOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Writes each event in the exchange's unit of work in place of the audit trail (a test's recorder, or one that throws). */
  appendEvent?: AppendExchangeEvent;
  /** The brand flows by slug (default: the catalogue's adapters). */
  adapters?: ReadonlyMap<string, BrandAdapter>;
}

/**
 * 5 consecutive failures open a credential's breaker for 30 s; 5 failures within a minute from 3 fleets
 * open the host's (docs/brands.md "Circuit breakers").
 */
const BREAKER = { failureThreshold: 5, openMs: 30_000, hostFleetThreshold: 3, hostWindowMs: 60_000 };

/** The exchange service with its one HTTP client, breakers, cache and metrics, for `createDeps`. */
export function createBrandExchange(deps: {
  config: Config;
  clock: Clock;
  store: Pick<Store<ExchangeRepos>, 'transaction'>;
  audit: Pick<AuditTrail, 'append'>;
  credentials: Pick<CredentialService, 'openForExchange'>;
  options?: ExchangeOptions | undefined;
  logger?: { warn(object: object, message: string): void } | undefined;
}) {
  const { config, clock, options = {} } = deps;
  // Loud on purpose: in production an override sends the stored secrets away from the brand (docs/brands.md).
  for (const { variable, origin, message } of brandUrlWarnings(config)) deps.logger?.warn({ variable, origin }, message);
  const metrics = createExchangeMetrics();
  const http = createBrandHttpClient({
    fetch: options.fetch ?? globalThis.fetch,
    clock,
    sleep: options.sleep ?? ((ms) => sleep(ms)),
    random: options.random ?? Math.random,
    breakers: createCircuitBreakers(clock, BREAKER),
    timeoutMs: config.brandTimeoutMs,
    origins: config.brandUrls,
    observe: (brand, seconds, status) =>
      metrics.upstreamDuration.observe({ brand, status_class: `${Math.floor(status / 100)}xx` }, seconds),
  });
  return createExchangeService({
    findCredential: (grant, brand, id) => deps.credentials.openForExchange(grant, brand, id),
    store: deps.store,
    // Every exchange answer is a `credential.exchanged` event (a refused verify-on-write `credential.verified`),
    // committed with the status it implies before the token leaves (docs/design.md §2.6, §2.9).
    appendEvent:
      options.appendEvent ??
      (async (repos, context, event) => {
        await deps.audit.append(repos, {
          fleetId: context.fleetId,
          actor: context.actor,
          requestId: context.requestId,
          clientRequestId: context.clientRequestId,
          ...event,
        });
      }),
    http,
    cache: createTokenCache({ clock }),
    clock,
    metrics,
    logger: deps.logger,
    adapters: options.adapters,
  });
}
