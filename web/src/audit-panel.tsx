import { useEffect, useRef, useState } from 'preact/hooks';
import { call } from './api';
import type { AuditQuery } from './api-shapes';
import { Pager, useCursorPages } from './cursor-pages';
import { ProblemAlert } from './problem-alert';
import { formatTime, type Session } from './session';

/**
 * docs/design.md §2.6's closed list of actions, for the filter. A record over the API's own action type, so the
 * compiler refuses a build that leaves out an action the API can answer with.
 */
const actionFilter: Record<NonNullable<AuditQuery['action']>, true> = {
  'credential.created': true,
  'credential.rotated': true,
  'credential.restored': true,
  'credential.deleted': true,
  'credential.revealed': true,
  'credential.exchanged': true,
  'credential.verified': true,
  'vehicle.created': true,
  'vehicle.updated': true,
  'vehicle.deleted': true,
  'client.created': true,
  'client.deleted': true,
  'client.secret_rotated': true,
  'token.issued': true,
  'person.signed_in': true,
  'sign_in_rule.created': true,
  'sign_in_rule.deleted': true,
  'fleet.created': true,
  'fleet.deleted': true,
  'webhook.created': true,
  'webhook.updated': true,
  'webhook.deleted': true,
  'webhook.secret_rotated': true,
  'keys.master_rotated': true,
  'keys.data_key_rotated': true,
  'keys.signing_rotated': true,
};
const actions = Object.keys(actionFilter);

const PAGE_SIZE = 20;

/**
 * The fleet's audit trail (docs/design.md §2.6), newest first, optionally of one target. Shown only to
 * tokens with audit:read (the caller decides).
 */
export function AuditPanel({
  session,
  title,
  level,
  targetId,
  refreshKey,
}: {
  session: Session;
  title: string;
  level: 1 | 2;
  targetId?: string;
  refreshKey?: string;
}) {
  const [action, setAction] = useState('');
  const [applied, setApplied] = useState('');
  const pages = useCursorPages(
    (cursor) => {
      const query: AuditQuery = {
        limit: PAGE_SIZE,
        ...(cursor !== undefined && { cursor }),
        ...(targetId !== undefined && { target_id: targetId }),
        ...(applied !== '' && { action: applied as NonNullable<AuditQuery['action']> }),
      };
      return call(() => session.api.GET('/audit', { params: { query } }));
    },
    [session, targetId, applied, refreshKey],
  );
  const { page, problem } = pages;
  const heading = useRef<HTMLHeadingElement>(null);
  const focused = useRef(false);
  const id = targetId ? 'credential-audit' : 'audit';

  // The page-level trail takes focus once it first renders; inside a credential, the credential's title keeps it.
  useEffect(() => {
    if (level !== 1 || focused.current || heading.current === null) return;
    focused.current = true;
    heading.current.focus();
  });

  if (page === undefined && problem === undefined) return null;
  const Heading = level === 1 ? 'h1' : 'h2';
  return (
    <section aria-labelledby={`${id}-heading`} class={level === 1 ? '' : 'panel'}>
      <Heading id={`${id}-heading`} ref={heading} tabIndex={-1}>
        {title}
      </Heading>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(action);
          pages.restart();
        }}
      >
        <div class="field">
          <label for={`${id}-action`}>Action</label>
          <select id={`${id}-action`} value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option value="">All actions</option>
            {actions.map((a) => (
              <option value={a}>{a}</option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
      </form>
      {problem && <ProblemAlert problem={problem} action="read the audit trail" />}
      {page && (
        <table class="data">
          <caption>{page.items.length === 0 ? 'No events.' : `Newest first, page ${pages.number}.`}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">Outcome</th>
              <th scope="col">Actor</th>
              <th scope="col">Target</th>
              <th scope="col">Seq</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((e) => (
              <tr key={e.id}>
                <td data-label="When">{formatTime(e.at)}</td>
                <td data-label="Action">
                  <code>{e.action}</code>
                </td>
                <td data-label="Outcome">{e.outcome}</td>
                <td data-label="Actor">
                  {e.actor.type} <code>{e.actor.id ?? ''}</code>
                  {/* A person's email or name (docs/sign-in.md): who it was, not only their id. */}
                  {e.actor.label && <> {e.actor.label}</>}
                </td>
                <td data-label="Target">
                  {/* A target without an id (a fleet-wide event such as a data-key rotation) shows its type only. */}
                  {e.target.type} {e.target.id !== null && <code>{e.target.id}</code>}
                </td>
                <td data-label="Seq" class="num">
                  {e.seq}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label={`${title} pages`} pages={pages} backText="Newer events" forwardText="Older events" />
    </section>
  );
}
