import http from 'node:http';

/** One block of an SSE stream: an event (its fields) or a comment line. */
export interface SseBlock {
  event?: string;
  id?: string;
  data?: string;
  comment?: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  /** The body when the answer was not a stream (a problem document). */
  body: string | undefined;
  /** Every block received so far, in order. */
  blocks: SseBlock[];
  /** Everything received so far, as text (to grep for secrets). */
  text(): string;
  /** Waits (at most `timeoutMs`) until `count` events (not comments) have arrived; returns them all. */
  events(count: number, timeoutMs?: number): Promise<SseBlock[]>;
  /** Waits (at most `timeoutMs`) until a comment has arrived. */
  comment(timeoutMs?: number): Promise<string>;
  /** Waits (at most `timeoutMs`) until the stream closes; true when the server ended the response (not cut off). */
  ended(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

/** A block's fields (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation). */
function parseBlock(raw: string): SseBlock {
  const block: SseBlock = {};
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) block.comment = line.slice(1).trim();
    else {
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event' || field === 'id' || field === 'data') block[field] = value;
    }
  }
  return block;
}

/**
 * Opens `GET url` over real HTTP (node:http, a connection of its own: closing the stream closes it) and reads the
 * stream as it arrives, no EventSource polyfill. Every wait is bounded: a missing event fails the test after its
 * timeout instead of hanging it.
 */
export async function openSse(url: string, headers: Record<string, string>): Promise<SseStream> {
  const req = http.get(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } });
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
  const blocks: SseBlock[] = [];
  let raw = '';
  let pending = '';
  let done = false;
  let complete = false;
  let wake: () => void = () => {};
  const changed = () => new Promise<void>((resolve) => (wake = resolve));
  const isStream = res.statusCode === 200 && (res.headers['content-type'] ?? '').startsWith('text/event-stream');
  res.setEncoding('utf8');
  let body: string | undefined;
  if (isStream) {
    res.on('data', (text: string) => {
      raw += text;
      pending += text;
      let end: number;
      while ((end = pending.indexOf('\n\n')) !== -1) {
        blocks.push(parseBlock(pending.slice(0, end)));
        pending = pending.slice(end + 2);
      }
      wake();
    });
    res.once('close', () => {
      complete = res.complete;
      done = true;
      wake();
    });
  } else {
    body = '';
    for await (const chunk of res) body += chunk as string;
  }

  async function until<T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = check();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`SSE: ${what} did not arrive within ${timeoutMs} ms; received: ${JSON.stringify(blocks)}`);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([changed(), new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
  }

  const eventsSoFar = () => blocks.filter((block) => block.comment === undefined);
  return {
    status: res.statusCode ?? 0,
    headers: new Headers(Object.entries(res.headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)]]))),
    body,
    blocks,
    text: () => raw,
    events: (count, timeoutMs = 5000) =>
      until(`${count} events`, timeoutMs, () => (eventsSoFar().length >= count ? eventsSoFar() : undefined)),
    comment: (timeoutMs = 5000) =>
      until('a comment', timeoutMs, () => blocks.find((block) => block.comment !== undefined && block.comment !== 'watching')?.comment),
    ended: (timeoutMs = 5000) => until('the end of the stream', timeoutMs, () => (done ? true : undefined)).then(() => complete),
    close: () => req.destroy(),
  };
}
