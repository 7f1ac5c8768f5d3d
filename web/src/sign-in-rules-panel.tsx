import { useEffect, useRef, useState } from 'preact/hooks';
import { call, type Problem, problemSlug } from './api';
import type { SignInRuleView } from './api-shapes';
import { Pager, useCursorPages } from './cursor-pages';
import { ProblemAlert, useFocusOnMount } from './problem-alert';
import { formatTime, type Session } from './session';
import { RuleCreateForm } from './sign-in-rule-form';

const PAGE_SIZE = 20;

function caption(count: number, pageNumber: number): string {
  if (count === 0) return 'No sign-in rules yet: nobody can sign in to this fleet through the identity provider.';
  return `Page ${pageNumber}: ${count} rule${count === 1 ? '' : 's'}, oldest first.`;
}

/** A rule's restriction: the brands and credential ids it narrows to, or the whole fleet. */
function RestrictionText({ restrict }: { restrict: SignInRuleView['restrict'] }) {
  if (restrict === null) return <span>whole fleet</span>;
  return (
    <>
      {restrict.brands && <span class="pair">brands: {restrict.brands.join(', ')}</span>}
      {restrict.credential_ids && <span class="pair">credentials: {restrict.credential_ids.join(', ')}</span>}
    </>
  );
}

/**
 * The fleet's sign-in rules (`GET /sign-in-rules`, paged), a form that creates one and Delete behind a confirmation.
 * Shown only to tokens with clients:manage (the caller decides); a 403 still renders as a problem.
 */
export function SignInRulesPanel({ session }: { session: Session }) {
  const [reloads, setReloads] = useState(0);
  const pages = useCursorPages(
    (cursor) => {
      const query = { limit: PAGE_SIZE, ...(cursor !== undefined && { cursor }) };
      return call(() => session.api.GET('/sign-in-rules', { params: { query } }));
    },
    [session, reloads],
  );
  const { page, problem, loading } = pages;
  const [notice, setNotice] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<SignInRuleView | undefined>();
  const [deleteProblem, setDeleteProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const confirmButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const remove = async (rule: SignInRuleView) => {
    setBusy(true);
    const res = await call(() => session.api.DELETE('/sign-in-rules/{id}', { params: { path: { id: rule.id } } }));
    setBusy(false);
    setConfirming(undefined);
    if (!res.ok) return setDeleteProblem(res.problem);
    setNotice(`Deleted the rule ${rule.claim} = ${rule.equals}.`);
    setReloads((n) => n + 1);
  };

  return (
    <section aria-labelledby="rules-heading">
      <h1 id="rules-heading" ref={heading} tabIndex={-1}>
        Sign-in rules
      </h1>
      <p class="hint">
        A person whose ID token claim equals the rule's value may sign in to this fleet with the rule's scopes (several rules: their union).
      </p>
      <p role="status" class="notice">
        {notice}
      </p>
      {problem && (
        <ProblemAlert problem={problem} action="list the sign-in rules">
          {problemSlug(problem) === 'insufficient-scope' && (
            <p>
              Sign-in rules need the scope <code>clients:manage</code>: sign in with a client that holds it.
            </p>
          )}
        </ProblemAlert>
      )}
      {deleteProblem && <ProblemAlert problem={deleteProblem} action="delete the sign-in rule" />}
      {page && (
        <table class="data" aria-busy={loading}>
          <caption>{caption(page.items.length, pages.number)}</caption>
          <thead>
            <tr>
              <th scope="col">Claim</th>
              <th scope="col">Equals</th>
              <th scope="col">Scopes</th>
              <th scope="col">Restriction</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((r) => (
              <tr key={r.id}>
                <th scope="row" data-label="Claim">
                  <code>{r.claim}</code>
                  <code class="small pair">{r.id}</code>
                </th>
                <td data-label="Equals">{r.equals}</td>
                <td data-label="Scopes">
                  {r.scopes.map((s) => (
                    <code class="pair action">{s}</code>
                  ))}
                </td>
                <td data-label="Restriction">
                  <RestrictionText restrict={r.restrict} />
                </td>
                <td data-label="Created">{formatTime(r.created_at)}</td>
                <td data-label="Actions">
                  <button
                    type="button"
                    aria-label={`Delete rule ${r.id}`}
                    onClick={() => {
                      setDeleteProblem(undefined);
                      setNotice(undefined);
                      setConfirming(r);
                    }}
                  >
                    Delete…
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {confirming && (
        <div class="confirm panel danger" role="group" aria-labelledby="rule-confirm-text">
          <p id="rule-confirm-text">
            Delete the rule <code>{confirming.claim}</code> = <strong>{confirming.equals}</strong>? The people who signed in through it lose
            what it granted: their tokens are refused within 5 seconds, on every replica.
          </p>
          <div class="actions">
            <button type="button" class="destructive" ref={confirmButton} disabled={busy} onClick={() => void remove(confirming)}>
              Yes, delete the rule
            </button>
            <button type="button" onClick={() => setConfirming(undefined)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      <Pager label="Sign-in rule pages" pages={pages} />
      <RuleCreateForm
        session={session}
        onCreated={(rule) => {
          setNotice(`Created the rule ${rule.claim} = ${rule.equals}.`);
          setReloads((n) => n + 1);
        }}
      />
    </section>
  );
}
