import { z } from 'zod';
import { AppError, type ProblemCode, problemTypes } from '../core/app-error.js';
import { problemDescriptions } from './problem-descriptions.js';
import { type App, problemResponses } from './route-types.js';

/**
 * A static page needs nothing but itself: no script, style, frame, form or base (CSP Level 3,
 * https://www.w3.org/TR/CSP3/). Nothing a proxy or an injected tag could add would run.
 */
export const PROBLEM_PAGE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(code: ProblemCode): string {
  const { status, title } = problemTypes[code];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head><meta charset="utf-8"><title>' + escapeHtml(`${title} (${status}) \u2013 fleetvault`) + '</title></head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>HTTP status ${status}. Problem type <code>/problems/${escapeHtml(code)}</code> (RFC 9457 <code>type</code>).</p>`,
    `<p>${escapeHtml(problemDescriptions[code])}</p>`,
    '<p>The <code>detail</code> member of the problem says what happened in this request; <code>request_id</code> finds it in the logs.',
    ' Every problem type, per operation: <a href="/docs">the API documentation</a>.</p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Built once: the table does not change while the process runs. */
const pages = new Map<string, string>(Object.keys(problemTypes).map((code) => [code, page(code as ProblemCode)]));

/** `GET /problems/<slug>`: what a problem `type` URI resolves to (RFC 9457 §3.1.1), a short page per problem type. */
export function registerProblemRoutes(app: App) {
  app.get('/problems/:slug', {
    schema: {
      tags: ['problems'],
      operationId: 'getProblemType',
      summary: 'What a problem type means (the page its `type` URI resolves to)',
      description: 'A short HTML page per problem type of this API: its title, status, meaning and what to do about it.',
      params: z.object({ slug: z.string().max(64).describe('The problem type slug, e.g. `conflicting-resource`') }),
      response: {
        200: { description: 'The problem type\u2019s page', content: { 'text/html': { schema: z.string() } } },
        ...problemResponses('not-found'),
      },
    },
    handler: async (request, reply) => {
      const html = pages.get(request.params.slug);
      if (html === undefined) throw new AppError('not-found', 'No such problem type.');
      return reply.type('text/html; charset=utf-8').header('content-security-policy', PROBLEM_PAGE_CSP).send(html);
    },
  });
}
