import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config.js';
import type { CredentialService } from '../credentials/credentials.service.js';
import type { Clock } from '../core/clock.js';
import { createBrandHttpClient } from './brand-http-client.js';
import { createCircuitBreakers } from './circuit-breaker.js';
import { createExchangeMetrics } from './exchange-metrics.js';
import { createExchangeService, type RecordExchange } from './exchange.service.js';
import { createTokenCache } from './token-cache.js';

/** What tests (and the audit trail) may swap; everything else comes from the config. */
export interface ExchangeOptions {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  recordExchange?: RecordExchange;
}

/** DESIGN.md §2.9: 5 consecutive failures open a host's breaker for 30 s. */
const BREAKER = { failureThreshold: 5, openMs: 30_000 };

/** The exchange service with its one HTTP client, breakers, cache and metrics, for `createDeps`. */
export function createBrandExchange(deps: {
  config: Config;
  clock: Clock;
  credentials: Pick<CredentialService, 'openForExchange' | 'recordStatus'>;
  recordExchange: RecordExchange;
  options?: ExchangeOptions | undefined;
  logger?: { warn(object: object, message: string): void } | undefined;
}) {
  const { config, clock, options = {} } = deps;
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
    recordStatus: (...args) => deps.credentials.recordStatus(...args),
    recordExchange: options.recordExchange ?? deps.recordExchange,
    http,
    cache: createTokenCache({ clock }),
    clock,
    metrics,
    logger: deps.logger,
  });
}
