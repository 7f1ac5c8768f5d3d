import { useEffect, useRef, useState } from 'preact/hooks';
import { call, type Problem, problemSlug } from './api';
import type { Loaded } from './credential-detail';
import { ProblemAlert } from './problem-alert';
import type { Session } from './session';

/** Delete behind a confirmation; a 409 says which vehicles still hold the credential (docs/design.md §2.1). */
export function DeleteCredential({
  session,
  title,
  loaded,
  onDeleted,
  onReload,
}: {
  session: Session;
  title: string;
  loaded: Loaded;
  onDeleted: () => void;
  onReload: () => Promise<void>;
}) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const remove = async () => {
    setBusy(true);
    const { view, etag } = loaded;
    const res = await call(() =>
      session.api.DELETE('/{brand}/credentials/{id}', {
        params: { path: { brand: view.brand, id: view.id }, header: etag ? { 'if-match': etag } : {} },
      }),
    );
    setBusy(false);
    setConfirming(false);
    if (res.ok) return onDeleted();
    setProblem(res.problem);
    // The counts on screen may be stale: the server's answer says how things are now.
    void onReload();
  };

  const slug = problemSlug(problem);
  const count = problem?.vehicle_count ?? 0;
  return (
    <section aria-labelledby="delete-heading" class="panel danger">
      <h2 id="delete-heading">Delete</h2>
      {!confirming && (
        <button
          type="button"
          onClick={() => {
            setProblem(undefined);
            setConfirming(true);
          }}
        >
          Delete this credential…
        </button>
      )}
      {confirming && (
        <div class="confirm">
          <p>
            Delete <strong>{title}</strong> for good? The vault destroys its secrets; this cannot be undone.
          </p>
          <div class="actions">
            <button type="button" class="destructive" ref={confirmButton} disabled={busy} onClick={remove}>
              Yes, delete it
            </button>
            <button type="button" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </div>
        </div>
      )}
      {slug === 'conflicting-resource' && (
        <div role="alert" class="problem">
          <p>
            <strong>
              Not deleted: {count} vehicle{count === 1 ? '' : 's'} still use{count === 1 ? 's' : ''} this credential.
            </strong>{' '}
            A credential that a vehicle is reached with cannot be deleted.{' '}
            {session.can('vehicles:write')
              ? 'Reassign each vehicle to another credential of this brand, or delete it, under “Vehicles” below; then delete again.'
              : 'Someone allowed to change vehicles (scope vehicles:write) must reassign or delete them first.'}
          </p>
          <p>Blocking vehicles{count > (problem?.vehicle_ids?.length ?? 0) ? ` (the first ${problem?.vehicle_ids?.length})` : ''}:</p>
          <ul class="ids">
            {(problem?.vehicle_ids ?? []).map((v) => (
              <li>
                <code>{v}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      {slug === 'precondition-failed' && (
        <p role="alert" class="problem">
          <strong>Not deleted: someone changed this credential after you opened it.</strong> It has been reloaded; check it and delete again
          if you still mean to.
        </p>
      )}
      {problem && slug !== 'conflicting-resource' && slug !== 'precondition-failed' && (
        <ProblemAlert problem={problem} action="delete the credential" />
      )}
    </section>
  );
}
