import { Gauge, type Registry } from 'prom-client';
import type { FleetFeeds } from './fleet-feeds.js';
import type { WatchService } from './watch.service.js';

/**
 * The watch stream's load on this replica, read at scrape time (no label: a count per fleet would name fleets):
 * open streams, and fleets with a reader (each costs two timers and one query per poll interval).
 */
export function registerWatchMetrics(watch: WatchService, feeds: FleetFeeds, registry: Registry): void {
  new Gauge({
    name: 'fleetvault_watch_streams',
    help: 'Watch streams (GET /events) open on this replica.',
    registers: [registry],
    collect() {
      this.set(watch.openStreams());
    },
  });
  new Gauge({
    name: 'fleetvault_watch_fleets',
    help: 'Fleets with at least one open watch stream on this replica (one audit reader each).',
    registers: [registry],
    collect() {
      this.set(feeds.size());
    },
  });
}
