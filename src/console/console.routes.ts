import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { projectRoot } from '../db/project-root.js';
import { AppError } from '../core/app-error.js';
import { type ConsoleFile, loadConsoleFiles } from './console-files.js';

/**
 * The console's own policy (docs/design.md §2.10): scripts, styles, images and fetches from this origin
 * only, no inline script or style (no 'unsafe-inline' anywhere), never framed (clickjacking), no
 * <base> or plugin tricks, and no native form submission: every form is handled by script, so a
 * form that somehow submitted could not put a typed secret into a URL (CSP Level 3 §6.4.1).
 * Trusted Types with no policy: no string can reach innerHTML, eval or a script's text, the DOM
 * XSS sinks (W3C Trusted Types §4); Preact renders through DOM APIs and never needs one.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
  "require-trusted-types-for 'script'",
  "trusted-types 'none'",
].join('; ');

const securityHeaders: Record<string, string> = {
  'content-security-policy': CONSOLE_CSP,
  // For browsers that predate frame-ancestors (RFC 7034).
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

export interface ConsoleOptions {
  /** The built console (`vite build` output); `dist/console` under the project root by default. */
  root?: string;
}

/** True unless the client refuses gzip (`gzip;q=0`) or does not list it (RFC 9110 §12.5.3). */
function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

function sendFile(reply: FastifyReply, file: ConsoleFile, acceptEncoding: string | undefined) {
  reply.type(file.contentType);
  // index.html keeps the app-wide no-store so a new build is picked up at once; hashed assets never change.
  if (file.immutable) reply.header('cache-control', 'public, max-age=31536000, immutable');
  if (file.gzip === undefined) return reply.send(file.body);
  reply.header('vary', 'accept-encoding');
  return acceptsGzip(acceptEncoding) ? reply.header('content-encoding', 'gzip').send(file.gzip) : reply.send(file.body);
}

/**
 * `/console`: the single-page web console, served from memory (see loadConsoleFiles) with its own
 * strict CSP on every response under the prefix, errors included. Hidden from the OpenAPI document:
 * it is a client of the API, not part of it.
 */
export async function registerConsole(app: FastifyInstance, options: ConsoleOptions = {}) {
  const root = options.root ?? path.join(projectRoot(), 'dist', 'console');
  const files = loadConsoleFiles(root);
  await app.register(async (scope) => {
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(securityHeaders);
      return payload;
    });
    const serve = (name: string, reply: FastifyReply, acceptEncoding: string | undefined) => {
      if (files === undefined) throw new AppError('service-unavailable', 'The console is not built: run `npm run build`.');
      const file = files.get(name === '' ? 'index.html' : name);
      if (file === undefined) throw new AppError('not-found', 'The console has no such file.');
      return sendFile(reply, file, acceptEncoding);
    };
    scope.get('/console', { schema: { hide: true } }, async (request, reply) => serve('', reply, request.headers['accept-encoding']));
    scope.get<{ Params: { '*': string } }>('/console/*', { schema: { hide: true } }, async (request, reply) =>
      serve(request.params['*'], reply, request.headers['accept-encoding']),
    );
  });
}
