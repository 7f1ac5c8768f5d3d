import type { AuditEvent } from '../audit/audit-chain.js';
import type { AuditRepo } from '../audit/audit.repo.js';

/** A fleet's reader reads the audit trail in pages of this many events. */
export const FEED_PAGE = 500;

/** One open stream, as a fleet's reader sees it. */
export interface FeedSubscriber {
  /** The fleet's next events, in seq order, without gaps: every event after the feed's start, exactly once. */
  deliver(events: readonly AuditEvent[]): void;
  /** Time for a keep-alive comment. */
  heartbeat(): void;
}

interface Feed {
  readonly subscribers: Set<FeedSubscriber>;
  /** The seq of the last event read (the chain head when the feed started). */
  lastSeq: number;
  /** Resolves once `lastSeq` holds the chain head read at start. */
  readonly ready: Promise<void>;
  pollTimer?: NodeJS.Timeout;
  heartbeatTimer?: NodeJS.Timeout;
  reading: boolean;
  /** A wake arrived while a read ran: read again when it ends. */
  again: boolean;
}

export interface FleetFeedsDeps {
  audit: Pick<AuditRepo, 'page' | 'head'>;
  pollMs: number;
  heartbeatMs: number;
  onReadError?: (fleetId: string, error: unknown) => void;
}

/**
 * One reader per fleet with open watch streams, shared by all of them (docs/design.md §2.13): it reads the fleet's
 * audit chain after the last seq it read and hands each new event, in seq order, to every subscriber. It reads when
 * this replica commits an event of the fleet (`wake`, called after the commit) and every `pollMs` for the events other
 * replicas (or the CLI) commit; its heartbeat timer asks every stream for a keep-alive comment. So an idle stream costs
 * no timer of its own: two timers per fleet, none per stream, and none for a fleet nobody watches.
 *
 * Reading by seq loses nothing at the boundary: a chain's head row is locked from the moment an event takes its seq to
 * its commit (audit.repo.ts `takeNextSeq`), so seq N + 1 never commits before N, and a read that returns seq N has
 * seen every event before it.
 */
export function createFleetFeeds(deps: FleetFeedsDeps) {
  const feeds = new Map<string, Feed>();

  async function read(fleetId: string, feed: Feed): Promise<void> {
    if (feed.reading) {
      feed.again = true;
      return;
    }
    feed.reading = true;
    try {
      for (;;) {
        feed.again = false;
        const page = await deps.audit.page(fleetId, feed.lastSeq, FEED_PAGE);
        if (page.length > 0) {
          feed.lastSeq = page[page.length - 1]!.seq;
          for (const subscriber of feed.subscribers) subscriber.deliver(page);
        }
        if (page.length < FEED_PAGE && !feed.again) return;
      }
    } catch (error) {
      // The next poll (or wake) reads again from the same seq: nothing is skipped.
      deps.onReadError?.(fleetId, error);
    } finally {
      feed.reading = false;
    }
  }

  function start(fleetId: string): Feed {
    const feed: Feed = {
      subscribers: new Set(),
      lastSeq: 0,
      reading: false,
      again: false,
      ready: deps.audit.head(fleetId).then((head) => {
        feed.lastSeq = head?.seq ?? 0;
        if (feeds.get(fleetId) !== feed) return;
        feed.pollTimer = setInterval(() => void read(fleetId, feed), deps.pollMs);
        feed.heartbeatTimer = setInterval(() => {
          for (const subscriber of feed.subscribers) subscriber.heartbeat();
        }, deps.heartbeatMs);
        feed.pollTimer.unref();
        feed.heartbeatTimer.unref();
      }),
    };
    feeds.set(fleetId, feed);
    return feed;
  }

  function stop(fleetId: string, feed: Feed): void {
    clearInterval(feed.pollTimer);
    clearInterval(feed.heartbeatTimer);
    if (feeds.get(fleetId) === feed) feeds.delete(fleetId);
  }

  return {
    /**
     * Adds a subscriber to the fleet's reader (starting it for the fleet's first stream). Resolves once the reader
     * knows where it starts; from the call on, the subscriber receives every event after `startSeq`.
     */
    async subscribe(fleetId: string, subscriber: FeedSubscriber): Promise<{ startSeq: number; unsubscribe: () => void }> {
      const feed = feeds.get(fleetId) ?? start(fleetId);
      feed.subscribers.add(subscriber);
      const unsubscribe = () => {
        feed.subscribers.delete(subscriber);
        if (feed.subscribers.size === 0) stop(fleetId, feed);
      };
      try {
        await feed.ready;
      } catch (error) {
        unsubscribe();
        throw error;
      }
      return { startSeq: feed.lastSeq, unsubscribe };
    },

    /** This replica committed events to these chains (fleet ids): their readers read now. */
    wake(chains: Iterable<string>): void {
      for (const chain of chains) {
        const feed = feeds.get(chain);
        if (feed !== undefined) void feed.ready.then(() => read(chain, feed)).catch(() => undefined);
      }
    },

    /** Readers running now (tests and metrics: one per watched fleet). */
    size: () => feeds.size,

    /** Stops every reader's timers (the subscribers are the streams' to end). */
    close(): void {
      for (const [fleetId, feed] of feeds) stop(fleetId, feed);
    },
  };
}

export type FleetFeeds = ReturnType<typeof createFleetFeeds>;
