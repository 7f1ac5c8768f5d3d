import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { type AuditAction, auditActionNames } from '../audit/audit-actions.js';
import { AppError, validationFailed } from '../core/app-error.js';
import { grantOf, principalOf } from '../http/auth.js';
import { type App, bearerSecurity, problemResponses } from '../http/route-types.js';
import type { StreamSink, WatchService } from './watch.service.js';

const tags = ['events'];
const seqText = /^(0|[1-9]\d{0,14})$/;

const watchQuerySchema = z.strictObject({
  after: z
    .string()
    .max(16)
    .optional()
    .describe('Resume after this seq of the fleet\u2019s chain (`Last-Event-ID` wins when both are sent)'),
  actions: z
    .string()
    .max(2048)
    .optional()
    .describe('Comma-separated audit actions to receive (e.g. `credential.rotated,credential.deleted`); default all the caller may see'),
});
const watchHeadersSchema = z
  .object({
    'last-event-id': z
      .string()
      .max(64)
      .optional()
      .describe('The `id` (seq) of the last event received: an EventSource sends it when it reconnects; replay resumes after it'),
  })
  .loose();

/** `?actions=a,b` into the set it names, or a 422 naming the unknown ones (docs/events.md). */
function actionsOf(text: string | undefined): Set<AuditAction> | undefined {
  if (text === undefined) return undefined;
  const names = [...new Set(text.split(',').map((part) => part.trim()))].filter((part) => part !== '');
  const unknown = names.filter((name) => !(auditActionNames as string[]).includes(name));
  if (names.length === 0 || unknown.length > 0) {
    const detail =
      names.length === 0
        ? 'must name at least one action'
        : `names no audit action: ${unknown.slice(0, 5).join(', ').slice(0, 200)} (the actions: docs/events.md)`;
    throw validationFailed([{ pointer: '/query/actions', detail }]);
  }
  return new Set(names as AuditAction[]);
}

/** `Last-Event-ID` (what an EventSource sends when it reconnects) or `?after=`: the seq to resume after. */
function resumePoint(header: string | undefined, query: string | undefined): { after: number | undefined; pointer: string } {
  // An empty Last-Event-ID means none (an EventSource that has seen no id sends none: HTML, "reestablish the connection").
  const fromHeader = header !== undefined && header.trim() !== '';
  const [text, pointer] = fromHeader ? [header.trim(), '/headers/last-event-id'] : [query, '/query/after'];
  if (text === undefined) return { after: undefined, pointer };
  if (!seqText.test(text)) throw validationFailed([{ pointer, detail: 'must be the seq of an event (a whole number)' }]);
  return { after: Number(text), pointer };
}

/** The response as a stream sink: a PassThrough that fastify pipes into the socket, with its backpressure. */
function passThroughSink(stream: PassThrough): StreamSink {
  let closed = false;
  const closeListeners: (() => void)[] = [];
  stream.once('close', () => {
    closed = true;
    for (const listener of closeListeners) listener();
  });
  return {
    write: (text) => !closed && !stream.writableEnded && stream.write(text),
    bufferedBytes: () => stream.writableLength + stream.readableLength,
    drained: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        const done = () => {
          stream.off('drain', done);
          stream.off('close', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('close', done);
      }),
    end: () => {
      if (!stream.writableEnded) stream.end();
    },
    onClose: (listener) => {
      if (closed) listener();
      else closeListeners.push(listener);
    },
  };
}

/** The watch stream (docs/design.md §2.13): the fleet's audit events as Server-Sent Events. */
export function registerEventRoutes(app: App, watch: WatchService) {
  // fastify docs (Hooks, preClose): before the server stops accepting, so app.close() never waits on an open stream.
  app.addHook('preClose', async () => watch.closeAll());

  app.get('/events', {
    config: { scope: ['credentials:read', 'audit:read'] },
    schema: {
      tags,
      operationId: 'watchEvents',
      summary: 'Watch the fleet\u2019s changes as Server-Sent Events',
      description:
        'A `text/event-stream` that stays open: one `event: <action>` / `id: <seq>` / `data: <JSON>` per audit event of the fleet ' +
        '(`data` is the webhook body\u2019s `data`: `event_id`, `fleet_id`, `seq`, `actor`, `target`, `outcome`, `details`, never a ' +
        'secret), and a `: keep-alive` comment every 15 s. `Last-Event-ID` (or `?after=`) replays what was missed from the audit ' +
        'trail first, then continues live. `audit:read` sees every action; `credentials:read` alone sees `credential.*` only, ' +
        'and a restricted client only the credentials inside its restriction. Beyond the per-client limit of open streams: 429 ' +
        '(docs/events.md).',
      security: bearerSecurity,
      querystring: watchQuerySchema,
      headers: watchHeadersSchema,
      response: {
        200: {
          description: 'The stream: SSE events, one per audit event the caller may see, and keep-alive comments',
          content: { 'text/event-stream': { schema: z.string() } },
        },
        ...problemResponses('insufficient-scope', 'validation-failed', 'too-many-requests'),
      },
    },
    handler: async (request, reply) => {
      const principal = principalOf(request);
      const credentialsOnly = !principal.scopes.includes('audit:read');
      const actions = actionsOf(request.query.actions);
      if (credentialsOnly && actions !== undefined && [...actions].some((action) => !action.startsWith('credential.'))) {
        throw new AppError('insufficient-scope', 'Actions other than credential.* need the scope audit:read.', {
          required_scope: 'audit:read',
        });
      }
      const { after, pointer } = resumePoint(request.headers['last-event-id'], request.query.after);
      const stream = new PassThrough();
      const sink = passThroughSink(stream);
      try {
        await watch.open(
          {
            grant: grantOf(request),
            clientId: principal.clientId,
            view: { credentialsOnly, restriction: principal.restriction, actions },
            after,
            afterPointer: pointer,
          },
          sink,
        );
      } catch (error) {
        stream.destroy();
        throw error;
      }
      // The client leaving closes the response, which ends the subscription (watch.service.ts); a stream destroyed
      // before its end (an error) takes its connection along, rather than leave a response that never ends. A stream
      // that ended has ended the response already (the pipe's end runs before the stream's close).
      reply.raw.once('close', () => stream.destroy());
      stream.once('close', () => {
        if (!reply.raw.writableEnded) reply.raw.destroy();
      });
      // Proxies that buffer responses (nginx) would hold the events back.
      reply.header('x-accel-buffering', 'no');
      // The connection ends with the stream (RFC 9110 §7.6.1): one ended by a shutdown must not linger as an idle
      // keep-alive connection that server.close() then waits for (the idle ones were closed when the close began).
      reply.header('connection', 'close');
      return reply.type('text/event-stream; charset=utf-8').send(stream as unknown as string);
    },
  });
}
