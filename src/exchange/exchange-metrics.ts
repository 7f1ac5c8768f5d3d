import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * The exchange's own Prometheus metrics (docs/design.md §2.9), made once per deps and registered into
 * each app's registry by `registerOn`. Labels are closed sets: brand slugs, outcomes, status classes.
 */
export function createExchangeMetrics() {
  const metrics = {
    exchanges: new Counter({
      name: 'fleetvault_brand_exchanges_total',
      help: 'Brand token exchange answers, by brand and outcome (token, cached, rejected, unavailable, timeout, breaker_open).',
      labelNames: ['brand', 'outcome'] as const,
      registers: [],
    }),
    cacheHits: new Counter({
      name: 'fleetvault_brand_exchange_cache_hits_total',
      help: 'Exchanges answered from the token cache, by brand.',
      labelNames: ['brand'] as const,
      registers: [],
    }),
    upstreamDuration: new Histogram({
      name: 'fleetvault_brand_upstream_duration_seconds',
      help: 'Time of each request to a brand token endpoint, by brand and status class (0xx: no answer).',
      labelNames: ['brand', 'status_class'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [],
    }),
  };
  return {
    ...metrics,
    registerOn(registry: Registry): void {
      for (const metric of Object.values(metrics)) registry.registerMetric(metric);
    },
  };
}

export type ExchangeMetrics = ReturnType<typeof createExchangeMetrics>;
