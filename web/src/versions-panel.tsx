import { useEffect, useState } from 'preact/hooks';
import { call, type Problem, problemSlug } from './api';
import type { Loaded } from './credential-detail';
import type { SecretVersion } from './api-shapes';
import { ProblemAlert } from './problem-alert';
import { formatTime, type Session } from './session';

function actorText(createdBy: SecretVersion['created_by']): string {
  // null: a version older than the record of who made it (docs/design.md §2.8).
  if (createdBy === null) return '—';
  return `${createdBy.type} ${createdBy.id}`;
}

/** The kept secret versions (docs/design.md §2.8), metadata only, with restore (If-Match, as for PATCH). */
export function VersionsPanel({ session, loaded, onRestored }: { session: Session; loaded: Loaded; onRestored: (next: Loaded) => void }) {
  const [versions, setVersions] = useState<SecretVersion[] | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  // The restore just made, shown while its version is current (a later rotation makes it stale).
  const [restored, setRestored] = useState<{ from: number; to: number } | undefined>();
  const { view } = loaded;
  const path = { brand: view.brand, id: view.id };

  useEffect(() => {
    void call(() => session.api.GET('/{brand}/credentials/{id}/versions', { params: { path } })).then((res) => {
      if (res.ok) return setVersions(res.data.items);
      setProblem(res.problem);
    });
  }, [session, view.id, view.secret_version]);

  const restore = async (n: number) => {
    const res = await call(() =>
      session.api.POST('/{brand}/credentials/{id}/versions/{n}/restore', {
        params: { path: { ...path, n: String(n) }, header: loaded.etag ? { 'if-match': loaded.etag } : {} },
      }),
    );
    if (!res.ok) return setProblem(res.problem);
    setProblem(undefined);
    setRestored({ from: n, to: res.data.secret_version });
    onRestored({ view: res.data, etag: res.response.headers.get('etag') ?? undefined });
  };

  // Nothing until the route has answered: a panel that flashes and vanishes would mislead.
  if (versions === undefined && problem === undefined) return null;
  return (
    <section aria-labelledby="versions-heading" class="panel">
      <h2 id="versions-heading">Secret versions</h2>
      {restored && restored.to === view.secret_version && (
        <p role="status" class="notice">
          Version {restored.from} restored as version {restored.to}.
        </p>
      )}
      {problem && (
        <ProblemAlert problem={problem} action="use the secret versions">
          {problemSlug(problem) === 'precondition-failed' && <p>Someone changed this credential meanwhile; reload it first.</p>}
        </ProblemAlert>
      )}
      {versions && (
        <table class="data">
          <caption>Kept versions, newest first (metadata only: the secrets stay sealed).</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Created</th>
              <th scope="col">By</th>
              <th scope="col">State</th>
              {session.can('credentials:write') && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.secret_version}>
                <th scope="row" data-label="Version" class="num">
                  {v.secret_version}
                </th>
                <td data-label="Created">{formatTime(v.created_at)}</td>
                <td data-label="By">
                  <code>{actorText(v.created_by)}</code>
                </td>
                <td data-label="State">{v.state}</td>
                {session.can('credentials:write') && (
                  <td data-label="Action">
                    {v.state !== 'current' && (
                      <button type="button" onClick={() => restore(v.secret_version)}>
                        Restore version {v.secret_version}
                      </button>
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
