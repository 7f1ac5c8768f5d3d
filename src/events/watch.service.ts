import type { AuditEvent } from '../audit/audit-chain.js';
import type { AuditRepo } from '../audit/audit.repo.js';
import { AppError, validationFailed } from '../core/app-error.js';
import type { Grant } from '../core/grant.js';
import { changeEventData } from './change-event.js';
import { type EventView, isVisible } from './event-filter.js';
import type { FeedSubscriber, FleetFeeds } from './fleet-feeds.js';

/** A replay reads the trail in pages of this many events, waiting for the client between pages. */
export const REPLAY_PAGE = 500;
/** Live events a stream holds while its replay runs; beyond it the replay simply reads further from the trail. */
export const MAX_HELD_EVENTS = 1000;
/**
 * Bytes a live stream may have waiting for a slow client. Beyond it the stream ends: the client reconnects with
 * `Last-Event-ID` and replays from the trail at its own pace, instead of this replica holding its backlog in memory.
 */
export const MAX_BUFFERED_BYTES = 1024 * 1024;

/** Where a stream writes: the HTTP response, as the route adapts it. */
export interface StreamSink {
  /** Writes text; false once the client is behind (wait for `drained` before writing more). */
  write(text: string): boolean;
  /** Bytes written and not yet taken by the client. */
  bufferedBytes(): number;
  /** Resolves when the client has caught up, or the stream closed. */
  drained(): Promise<void>;
  end(): void;
  /** Called once, when the stream closes for any reason (the client left, `end`, an error). */
  onClose(listener: () => void): void;
}

export interface WatchRequest {
  grant: Grant;
  clientId: string;
  view: EventView;
  /** Resume after this seq of the fleet's chain (Last-Event-ID or ?after=); undefined: from now on. */
  after: number | undefined;
  /** Where `after` came from, for the field error when it is beyond the chain's head. */
  afterPointer: string;
}

/**
 * One SSE event (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): the
 * action as its type, the fleet seq as its id (what `Last-Event-ID` sends back), the webhook body's `data` as one
 * JSON line. JSON.stringify escapes every line break, so the data is one `data:` line.
 */
export function sseEvent(event: AuditEvent): string {
  return `event: ${event.action}\nid: ${event.seq}\ndata: ${JSON.stringify(changeEventData(event))}\n\n`;
}

/** A comment line: ignored by SSE clients, it keeps proxies from closing an idle stream. */
export const SSE_HEARTBEAT = ': keep-alive\n\n';

/**
 * The watch stream `GET /events` (docs/design.md §2.13, docs/events.md): per stream, a replay from the audit trail after
 * the caller's last seq, then the live events of its fleet's reader (fleet-feeds.ts), each through the caller's view
 * (event-filter.ts). The stream holds the live events that arrive while it replays and sends, once the replay has caught
 * up, those after the last seq it sent: by seq, so nothing is sent twice and nothing falls between the two.
 */
export function createWatchService(deps: { feeds: FleetFeeds; audit: Pick<AuditRepo, 'page' | 'head'>; maxStreamsPerClient: number }) {
  const { feeds, audit } = deps;
  const openByClient = new Map<string, number>();
  const open = new Set<() => void>();
  let closed = false;

  function reserve(clientId: string): () => void {
    const count = openByClient.get(clientId) ?? 0;
    if (count >= deps.maxStreamsPerClient) {
      throw new AppError(
        'too-many-requests',
        `This client already holds ${count} open event streams on this server, its limit; close one before opening another.`,
      );
    }
    openByClient.set(clientId, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (openByClient.get(clientId) ?? 1) - 1;
      if (left === 0) openByClient.delete(clientId);
      else openByClient.set(clientId, left);
    };
  }

  return {
    /**
     * Opens a stream into `sink`: resolves once the stream is subscribed (so every event committed from then on
     * reaches it), with its replay running on; rejects (nothing written) when the client is at its limit or `after`
     * lies beyond the chain's head.
     */
    async open(request: WatchRequest, sink: StreamSink): Promise<void> {
      if (closed) throw new AppError('service-unavailable', 'This server is shutting down; reconnect.', {}, { retryAfterSeconds: 1 });
      const release = reserve(request.clientId);
      const { fleetId } = request.grant;
      let sent = 0;
      let live = false;
      let overflowed = false;
      let held: AuditEvent[] = [];
      let ended = false;

      const send = (event: AuditEvent): boolean => {
        sent = event.seq;
        return isVisible(event, request.view) ? sink.write(sseEvent(event)) : true;
      };
      const subscriber: FeedSubscriber = {
        deliver(events) {
          if (ended) return;
          if (!live) {
            if (held.length + events.length > MAX_HELD_EVENTS) {
              held = [];
              overflowed = true;
            } else held.push(...events);
            return;
          }
          for (const event of events) if (event.seq > sent) send(event);
          if (sink.bufferedBytes() > MAX_BUFFERED_BYTES) endStream();
        },
        heartbeat() {
          if (!ended) sink.write(SSE_HEARTBEAT);
        },
      };

      let unsubscribe = () => {};
      const stop = () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        release();
        open.delete(endStream);
      };
      const endStream = () => {
        stop();
        sink.end();
      };
      try {
        const subscription = await feeds.subscribe(fleetId, subscriber);
        unsubscribe = subscription.unsubscribe;
        sent = subscription.startSeq;
        if (request.after !== undefined) {
          const head = (await audit.head(fleetId))?.seq ?? 0;
          if (request.after > head) {
            throw validationFailed([{ pointer: request.afterPointer, detail: `is beyond the fleet's latest event (seq ${head})` }]);
          }
          sent = request.after;
        }
        if (closed) throw new AppError('service-unavailable', 'This server is shutting down; reconnect.', {}, { retryAfterSeconds: 1 });
      } catch (error) {
        stop();
        throw error;
      }
      open.add(endStream);
      sink.onClose(stop);
      // The first bytes: the client knows the stream is open and subscribed.
      sink.write(': watching\n\n');

      async function replay(): Promise<void> {
        for (;;) {
          const page = await audit.page(fleetId, sent, REPLAY_PAGE);
          if (ended) return;
          let caughtUp = true;
          for (const event of page) caughtUp = send(event) && caughtUp;
          if (!caughtUp) await sink.drained();
          if (ended) return;
          if (page.length === REPLAY_PAGE) continue;
          if (overflowed) {
            overflowed = false;
            continue;
          }
          break;
        }
        live = true;
        const caught = held;
        held = [];
        subscriber.deliver(caught);
      }
      replay().catch(endStream);
    },

    /** Open streams on this replica (tests, metrics). */
    openStreams: () => open.size,

    /** Ends every stream and stops the readers (app.close: a stream never holds the shutdown up). */
    closeAll(): void {
      closed = true;
      for (const endStream of [...open]) endStream();
      feeds.close();
    },
  };
}

export type WatchService = ReturnType<typeof createWatchService>;
