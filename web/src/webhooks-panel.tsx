import { useState } from 'preact/hooks';
import { call, problemSlug } from './api';
import type { WebhookView } from './api-shapes';
import { Pager, useCursorPages } from './cursor-pages';
import { ProblemAlert, useFocusOnMount } from './problem-alert';
import { formatTime, type Session } from './session';
import { WebhookDeliveries } from './webhook-deliveries';

const PAGE_SIZE = 20;

function caption(count: number, pageNumber: number): string {
  if (count === 0) return 'No webhooks yet: subscribe one with POST /webhooks (docs/webhooks.md).';
  return `Page ${pageNumber}: ${count} webhook${count === 1 ? '' : 's'}, oldest first. Choose one to see its deliveries.`;
}

/** `["*"]` is every audit action; otherwise the actions it names. */
function EventsText({ events }: { events: string[] }) {
  if (events.includes('*')) return <span>all events</span>;
  return (
    <>
      {events.map((name) => (
        <code class="pair action">{name}</code>
      ))}
    </>
  );
}

/**
 * Enabled, paused by someone (`enabled: false`), or disabled by the vault after 5 days of failed deliveries, with
 * the reason it gave (docs/webhooks.md, "Retries and failures").
 */
export function WebhookStateText({ webhook }: { webhook: WebhookView }) {
  if (webhook.enabled) return <span class="state state-enabled">enabled</span>;
  return (
    <span class="state state-disabled">
      disabled
      {webhook.disabled_reason !== null && <span class="hint"> by the vault: {webhook.disabled_reason}</span>}
    </span>
  );
}

/**
 * The fleet's webhook subscriptions (`GET /webhooks`, keyset paged) and the deliveries of the one chosen. Shown only
 * to tokens with webhooks:manage (the caller decides); a 403 still renders as a problem.
 */
export function WebhooksPanel({ session }: { session: Session }) {
  const pages = useCursorPages(
    (cursor) => {
      const query = { limit: PAGE_SIZE, ...(cursor !== undefined && { cursor }) };
      return call(() => session.api.GET('/webhooks', { params: { query } }));
    },
    [session],
  );
  const { page, problem, loading } = pages;
  const [chosen, setChosen] = useState<WebhookView | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();

  return (
    <section aria-labelledby="webhooks-heading">
      <h1 id="webhooks-heading" ref={heading} tabIndex={-1}>
        Webhooks
      </h1>
      {problem && (
        <ProblemAlert problem={problem} action="list the webhooks">
          {problemSlug(problem) === 'insufficient-scope' && (
            <p>
              Webhooks need the scope <code>webhooks:manage</code>: sign in with a client that holds it.
            </p>
          )}
        </ProblemAlert>
      )}
      {page && (
        <table class="data" aria-busy={loading}>
          <caption>{caption(page.items.length, pages.number)}</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Events</th>
              <th scope="col">Description</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((w) => (
              <tr key={w.id} class={chosen?.id === w.id ? 'chosen' : undefined}>
                <th scope="row" data-label="URL">
                  {/* The URL is text on a button that shows deliveries, never a link the console would follow. */}
                  <button
                    type="button"
                    class="link url"
                    aria-current={chosen?.id === w.id ? 'true' : undefined}
                    onClick={() => setChosen(w)}
                  >
                    {w.url}
                  </button>
                  <code class="small pair">{w.id}</code>
                </th>
                <td data-label="Events">
                  <EventsText events={w.events} />
                </td>
                <td data-label="Description">{w.description ?? '—'}</td>
                <td data-label="State">
                  <WebhookStateText webhook={w} />
                </td>
                <td data-label="Created">{formatTime(w.created_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Webhook pages" pages={pages} />
      {chosen && <WebhookDeliveries key={chosen.id} session={session} webhook={chosen} />}
    </section>
  );
}
