import { useCallback, useEffect, useState } from 'preact/hooks';
import { type Brand, call, type CredentialView, type Problem, problemSlug } from './api';
import { AuditPanel } from './audit-panel';
import { identityOf, StatusText } from './credential-list';
import { DeleteCredential } from './delete-credential';
import { ProblemAlert, useFocusOnMount } from './problem-alert';
import { RevealSecrets } from './reveal-secrets';
import { RotateForm } from './rotate-form';
import { formatTime, type Session } from './session';
import { VehiclesPanel } from './vehicles-panel';
import { VersionsPanel } from './versions-panel';

export interface Loaded {
  view: CredentialView;
  /** The ETag of the last read or write, sent back as If-Match (RFC 9110 §13.1.1). */
  etag: string | undefined;
}

/** One credential: what the vault holds (never a secret), and what the token's scopes allow doing to it. */
export function CredentialDetail({
  session,
  slug,
  brands,
  id,
  onBack,
  onDeleted,
}: {
  session: Session;
  slug: string;
  brands: Brand[];
  id: string;
  onBack: () => void;
  onDeleted: (message: string) => void;
}) {
  const [loaded, setLoaded] = useState<Loaded | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const brand = brands.find((b) => b.slug === slug);

  const reload = useCallback(async () => {
    const res = await call(() => session.api.GET('/{brand}/credentials/{id}', { params: { path: { brand: slug, id } } }));
    if (res.ok) {
      setLoaded({ view: res.data, etag: res.response.headers.get('etag') ?? undefined });
      setProblem(undefined);
    } else setProblem(res.problem);
  }, [session, slug, id]);
  useEffect(() => void reload(), [reload]);

  const view = loaded?.view;
  const title = view ? (view.name ?? `Unnamed ${brand?.display_name ?? slug} credential`) : 'Credential';
  const values = (view ?? {}) as Record<string, unknown>;
  const settings = brand?.fields.filter((f) => f.kind === 'setting' && typeof values[f.name] === 'string') ?? [];

  return (
    <section aria-labelledby="detail-heading" class="detail">
      <button type="button" class="link back" onClick={onBack}>
        ← All credentials
      </button>
      <h1 id="detail-heading" ref={heading} tabIndex={-1}>
        {title}
      </h1>
      {problem && (
        <ProblemAlert problem={problem} action="load this credential">
          {problemSlug(problem) === 'not-found' && <p>It may have been deleted by someone else.</p>}
        </ProblemAlert>
      )}
      {view && (
        <>
          <dl class="summary">
            <dt>Brand</dt>
            <dd>{brand?.display_name ?? view.brand}</dd>
            {identityOf(view, brand).map(([name, value]) => (
              <>
                <dt>
                  <code>{name}</code>
                </dt>
                <dd>
                  <code>{value}</code>
                </dd>
              </>
            ))}
            {settings.map((f) => (
              <>
                <dt>
                  <code>{f.name}</code>
                </dt>
                <dd>
                  <code>{values[f.name] as string}</code>
                </dd>
              </>
            ))}
            <dt>Secret version</dt>
            <dd>
              {view.secret_version}, set {formatTime(view.secret_updated_at)}
            </dd>
            <dt>Vehicles</dt>
            <dd>{view.vehicle_count}</dd>
            <dt>Status</dt>
            <dd>
              <StatusText credential={view} />
            </dd>
            <dt>Created</dt>
            <dd>{formatTime(view.created_at)}</dd>
            <dt>Id</dt>
            <dd>
              <code>{view.id}</code>
            </dd>
          </dl>
          {session.can('credentials:reveal') && <RevealSecrets session={session} brand={brand} view={view} />}
          {session.can('credentials:write') && brand && brand.fields.some((f) => f.rotatable) && (
            <RotateForm session={session} brand={brand} loaded={loaded!} onRotated={setLoaded} onReload={reload} />
          )}
          {session.can('credentials:write') && (
            <DeleteCredential
              session={session}
              title={title}
              loaded={loaded!}
              onDeleted={() => onDeleted(`Deleted ${title}.`)}
              onReload={reload}
            />
          )}
          {session.can('vehicles:read') && <VehiclesPanel session={session} credential={view} onChanged={reload} />}
          <VersionsPanel session={session} loaded={loaded!} onRestored={setLoaded} />
          {session.can('audit:read') && (
            <AuditPanel
              session={session}
              title="Audit trail of this credential"
              level={2}
              targetId={view.id}
              refreshKey={loaded!.etag ?? ''}
            />
          )}
        </>
      )}
    </section>
  );
}
