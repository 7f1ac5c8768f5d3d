import { useState } from 'preact/hooks';
import { type Brand, call, type Problem, problemSlug } from './api';
import { BrandFieldInput } from './brand-field';
import type { Loaded } from './credential-detail';
import { ProblemAlert, splitFieldErrors } from './problem-alert';
import type { Session } from './session';

/**
 * PATCH with the brand's rotatable secrets and `If-Match` from the ETag the console read, so a
 * rotation made by someone else in between is refused (412) instead of silently overwritten.
 */
export function RotateForm({
  session,
  brand,
  loaded,
  onRotated,
  onReload,
}: {
  session: Session;
  brand: Brand;
  loaded: Loaded;
  onRotated: (next: Loaded) => void;
  onReload: () => Promise<void>;
}) {
  const fields = brand.fields.filter((f) => f.rotatable);
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | undefined>();
  // The version the last rotation made: its notice is shown only while that version is current (a restore moves on).
  const [done, setDone] = useState<number | undefined>();
  const [busy, setBusy] = useState(false);
  const { byField, other } = splitFieldErrors(
    problem,
    fields.map((f) => f.name),
  );
  const slug = problemSlug(problem);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setDone(undefined);
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    const { view, etag } = loaded;
    const res = await call(() =>
      session.api.PATCH('/{brand}/credentials/{id}', {
        params: { path: { brand: view.brand, id: view.id }, header: etag ? { 'if-match': etag } : {} },
        body,
      }),
    );
    setBusy(false);
    if (!res.ok) return setProblem(res.problem);
    setValues({});
    setProblem(undefined);
    setDone(res.data.secret_version);
    onRotated({ view: res.data, etag: res.response.headers.get('etag') ?? undefined });
  };

  return (
    <section aria-labelledby="rotate-heading" class="panel">
      <h2 id="rotate-heading">Rotate the secret</h2>
      <p class="hint">
        {fields.length === 1 ? 'Type the new secret.' : 'Fill the secrets to replace; empty ones keep their value.'} The vault keeps the
        earlier version; the credential's identity stays the same.
      </p>
      <form class="stack" onSubmit={submit} noValidate>
        {fields.map((field) => (
          <BrandFieldInput
            key={field.name}
            idPrefix="rotate"
            field={field}
            value={values[field.name] ?? ''}
            error={byField[field.name]}
            required={fields.length === 1}
            onChange={(v) => setValues({ ...values, [field.name]: v })}
          />
        ))}
        {slug === 'precondition-failed' ? (
          <div role="alert" class="problem">
            <p>
              <strong>Not rotated: someone else changed this credential after you opened it</strong> (you saw secret version{' '}
              {loaded.view.secret_version}). Your secret was not saved, so theirs stays in place. Reload to see the current version, then
              rotate again if it is still needed.
            </p>
            <button
              type="button"
              onClick={() => {
                setProblem(undefined);
                void onReload();
              }}
            >
              Reload this credential
            </button>
          </div>
        ) : (
          problem && (
            <ProblemAlert problem={problem} action="rotate the secret">
              {other.length > 0 && (
                <ul>
                  {other.map((m) => (
                    <li>{m}</li>
                  ))}
                </ul>
              )}
            </ProblemAlert>
          )
        )}
        {done !== undefined && done === loaded.view.secret_version && (
          <p role="status" class="notice">
            Secret rotated: version {done} is now current.
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate secret'}
          </button>
        </div>
      </form>
    </section>
  );
}
