import { useState } from 'preact/hooks';
import { type Brand, call, type CredentialView, type Problem } from './api';
import { ProblemAlert } from './problem-alert';
import type { Session } from './session';

/**
 * "Reveal secrets" (scope credentials:reveal, docs/design.md §2.7): one audited reveal per click, the values shown
 * until the panel is hidden or the page left, never stored. Each reveal is a `credential.revealed` event under the
 * signed-in client or person.
 */
export function RevealSecrets({ session, brand, view }: { session: Session; brand: Brand | undefined; view: CredentialView }) {
  const [secrets, setSecrets] = useState<Readonly<Record<string, unknown>> | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);

  const reveal = async () => {
    setBusy(true);
    setProblem(undefined);
    const res = await call(() =>
      session.api.GET('/{brand}/credentials/{id}/secrets', { params: { path: { brand: view.brand, id: view.id } } }),
    );
    setBusy(false);
    // docs/design.md §2.7: `{id, brand, secret_version, <identity and settings>, secrets: {<field>: value}}`.
    if (res.ok) setSecrets((res.data as { secrets?: Record<string, unknown> }).secrets ?? {});
    else setProblem(res.problem);
  };

  const catalogued = (brand?.fields ?? []).filter((f) => f.kind === 'secret').map((f) => f.name);
  const secretFields = secrets === undefined ? catalogued : catalogued.filter((name) => name in secrets);
  return (
    <section aria-labelledby="reveal-heading" class="panel">
      <h2 id="reveal-heading">Secrets</h2>
      {secrets === undefined ? (
        <button type="button" onClick={() => void reveal()} disabled={busy}>
          {busy ? 'Revealing…' : 'Reveal secrets'}
        </button>
      ) : (
        <>
          <dl>
            {secretFields.map((name) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  <code>{typeof secrets[name] === 'string' ? (secrets[name] as string) : '—'}</code>
                </dd>
              </div>
            ))}
          </dl>
          <button type="button" onClick={() => setSecrets(undefined)}>
            Hide secrets
          </button>
        </>
      )}
      {problem && <ProblemAlert problem={problem} action="reveal the secrets" />}
    </section>
  );
}
