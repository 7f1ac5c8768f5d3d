import { useState } from 'preact/hooks';
import { call, type Problem } from './api';
import type { DeliveryState, WebhookDelivery, WebhookView } from './api-shapes';
import { Pager, useCursorPages } from './cursor-pages';
import { ProblemAlert, useFocusOnMount } from './problem-alert';
import { formatTime, type Session } from './session';

const PAGE_SIZE = 20;
const states: DeliveryState[] = ['pending', 'succeeded', 'failed'];

const timeOrDash = (time: string | null) => (time === null ? '—' : formatTime(time));

/**
 * One webhook's deliveries, newest first (`GET /webhooks/{id}/deliveries`, keyset paged, filtered by state), with
 * Retry on the failed ones (`POST …/retry`, which the vault admits for `failed` only). Never a body: the vault keeps
 * the last status and its own words for the last error.
 */
export function WebhookDeliveries({ session, webhook }: { session: Session; webhook: WebhookView }) {
  const [state, setState] = useState<DeliveryState | ''>('');
  const [applied, setApplied] = useState<DeliveryState | ''>('');
  const [retryProblem, setRetryProblem] = useState<{ problem: Problem; action: string } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  // The delivery whose retry is in flight: its button is disabled, so a double click sends one request.
  const [retrying, setRetrying] = useState<string | undefined>();
  // Bumped to read the page shown again (after a retry, or on Refresh).
  const [reads, setReads] = useState(0);
  const pages = useCursorPages(
    (cursor) => {
      const query = { limit: PAGE_SIZE, ...(cursor !== undefined && { cursor }), ...(applied !== '' && { state: applied }) };
      return call(() => session.api.GET('/webhooks/{id}/deliveries', { params: { path: { id: webhook.id }, query } }));
    },
    [session, webhook.id, applied, reads],
  );
  const { page, problem: listProblem, loading } = pages;
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const refresh = () => {
    setRetryProblem(undefined);
    setNotice(undefined);
    setReads((n) => n + 1);
  };

  const retry = async (delivery: WebhookDelivery) => {
    setRetrying(delivery.id);
    const res = await call(() =>
      session.api.POST('/webhooks/{id}/deliveries/{deliveryId}/retry', {
        params: { path: { id: webhook.id, deliveryId: delivery.id } },
      }),
    );
    setRetrying(undefined);
    // Read the page again either way: a 409 means someone else changed the delivery meanwhile.
    setReads((n) => n + 1);
    if (!res.ok) {
      setNotice(undefined);
      return setRetryProblem({ problem: res.problem, action: `retry the delivery of event ${delivery.event_id}` });
    }
    setRetryProblem(undefined);
    const due = res.data.next_attempt_at === null ? '' : `, due ${formatTime(res.data.next_attempt_at)}`;
    setNotice(`Event ${res.data.event_id} is ${res.data.state} again${due}: Refresh to see the new attempt.`);
  };

  return (
    <section aria-labelledby="deliveries-heading" class="panel">
      <h2 id="deliveries-heading" ref={heading} tabIndex={-1}>
        Recent deliveries
      </h2>
      <p class="hint">
        To <code>{webhook.url}</code>. Each delivery is one audit event; its event id is the <code>webhook-id</code> header of every
        attempt.
      </p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(state);
          pages.restart();
        }}
      >
        <div class="field">
          <label for="delivery-state">State</label>
          <select id="delivery-state" value={state} onChange={(e) => setState(e.currentTarget.value as DeliveryState | '')}>
            <option value="">All states</option>
            {states.map((s) => (
              <option value={s}>{s}</option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
        <button type="button" onClick={refresh}>
          Refresh
        </button>
      </form>
      <p role="status" class="notice">
        {notice}
      </p>
      {retryProblem && <ProblemAlert problem={retryProblem.problem} action={retryProblem.action} />}
      {listProblem && <ProblemAlert problem={listProblem} action="list the deliveries" />}
      {page && (
        <table class="data" aria-busy={loading}>
          <caption>{page.items.length === 0 ? 'No deliveries.' : `Newest first, page ${pages.number}.`}</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Action</th>
              <th scope="col">State</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last status</th>
              <th scope="col">Last error</th>
              <th scope="col">Next attempt</th>
              <th scope="col">Delivered</th>
              <th scope="col">Retry</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((d) => (
              <tr key={d.id}>
                <th scope="row" data-label="Event">
                  <code>{d.event_id}</code>
                </th>
                <td data-label="Action">
                  <code class="action">{d.type}</code>
                </td>
                <td data-label="State">
                  <span class={`state state-${d.state}`}>{d.state}</span>
                </td>
                <td data-label="Attempts" class="num">
                  {d.attempts}
                </td>
                <td data-label="Last status" class="num">
                  {d.last_status ?? '—'}
                </td>
                <td data-label="Last error">{d.last_error ?? '—'}</td>
                <td data-label="Next attempt">{timeOrDash(d.next_attempt_at)}</td>
                <td data-label="Delivered">{timeOrDash(d.delivered_at)}</td>
                <td data-label="Retry">
                  {d.state === 'failed' && (
                    <button type="button" disabled={retrying === d.id} onClick={() => retry(d)} aria-label={`Retry event ${d.event_id}`}>
                      Retry
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label={'Delivery pages'} pages={pages} backText="Newer deliveries" forwardText="Older deliveries" />
    </section>
  );
}
