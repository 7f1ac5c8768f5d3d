import type { Registry } from 'prom-client';
import type { AuditRepo } from '../audit/audit.repo.js';
import { createFleetFeeds } from './fleet-feeds.js';
import { registerWatchMetrics } from './watch.metrics.js';
import { createWatchService } from './watch.service.js';

/**
 * The watch stream of one process (docs/events.md): the per-fleet readers, the streams over them and their gauges.
 * `wake` is what the store calls after a unit of work that appended audit events commits.
 */
export function createWatch(deps: {
  audit: Pick<AuditRepo, 'page' | 'head'>;
  settings: { pollMs: number; heartbeatMs: number; maxStreamsPerClient: number };
  registry: Registry;
  logger?: { warn(object: Record<string, unknown>, message: string): void } | undefined;
}) {
  const { audit, settings, registry, logger } = deps;
  const feeds = createFleetFeeds({
    audit,
    pollMs: settings.pollMs,
    heartbeatMs: settings.heartbeatMs,
    onReadError: (fleetId, error) =>
      logger?.warn({ fleet_id: fleetId, reason: (error as Error).message }, 'reading audit events for the watch stream failed'),
  });
  const watch = createWatchService({ feeds, audit, maxStreamsPerClient: settings.maxStreamsPerClient });
  registerWatchMetrics(watch, feeds, registry);
  return { watch, wake: (chains: ReadonlySet<string>) => feeds.wake(chains) };
}
