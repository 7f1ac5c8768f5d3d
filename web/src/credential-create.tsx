import { useEffect, useState } from 'preact/hooks';
import { type Brand, type BrandField, call, type CredentialCreate, type CredentialView, type Problem, problemSlug } from './api';
import { BrandFieldInput } from './brand-field';
import { ProblemAlert, splitFieldErrors, useFocusOnMount } from './problem-alert';
import type { Session } from './session';

const nameField: BrandField = {
  name: 'name',
  kind: 'identity',
  required: false,
  rotatable: false,
  description: 'A name your team recognises, unique in the fleet (1–100 characters).',
};

/** The create form, generated from the brand's catalogue entry (`GET /brands`). */
export function CredentialCreate({
  session,
  brands,
  onCreated,
  onCancel,
}: {
  session: Session;
  brands: Brand[];
  onCreated: (credential: CredentialView) => void;
  onCancel: () => void;
}) {
  const [slug, setSlug] = useState(brands[0]?.slug ?? '');
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const brand = brands.find((b) => b.slug === slug);
  const fieldNames = ['name', ...(brand?.fields.map((f) => f.name) ?? [])];
  const { byField, other } = splitFieldErrors(problem, fieldNames);
  if (problemSlug(problem) === 'name-already-exists') byField.name = problem!.detail;
  const firstInvalid = fieldNames.find((n) => byField[n] !== undefined);

  // After a refusal, focus goes to the first field the server named, where its message is.
  useEffect(() => {
    if (firstInvalid !== undefined) document.getElementById(`create-${firstInvalid}`)?.focus();
  }, [problem]);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (brand === undefined) return;
    setBusy(true);
    // The form is built from GET /brands at run time, so its body is typed as any brand's; the server checks it against this one.
    const body = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== '')) as CredentialCreate;
    const res = await call(() => session.api.POST('/{brand}/credentials', { params: { path: { brand: brand.slug } }, body }));
    setBusy(false);
    if (!res.ok) return setProblem(res.problem);
    // The typed secrets leave memory with the form.
    setValues({});
    onCreated(res.data);
  };

  const fieldsOnly =
    problem !== undefined &&
    (problemSlug(problem) === 'validation-failed' || problemSlug(problem) === 'name-already-exists') &&
    other.length === 0;
  return (
    <section aria-labelledby="create-heading">
      <h1 id="create-heading" ref={heading} tabIndex={-1}>
        New credential
      </h1>
      <form class="stack" onSubmit={submit} noValidate>
        <div class="field">
          <label for="create-brand">Brand</label>
          <select
            id="create-brand"
            value={slug}
            onChange={(e) => {
              setSlug(e.currentTarget.value);
              setValues({});
              setProblem(undefined);
            }}
          >
            {brands.map((b) => (
              <option value={b.slug}>{b.display_name}</option>
            ))}
          </select>
          {brand?.max_per_fleet != null && <p class="hint">At most {brand.max_per_fleet} per fleet.</p>}
        </div>
        {brand && (
          <fieldset>
            <legend>{brand.display_name} fields</legend>
            {[nameField, ...brand.fields].map((field) => (
              <BrandFieldInput
                key={`${slug}-${field.name}`}
                idPrefix="create"
                field={field}
                value={values[field.name] ?? ''}
                error={byField[field.name]}
                required={field.required}
                onChange={(v) => setValues({ ...values, [field.name]: v })}
              />
            ))}
          </fieldset>
        )}
        {problem && !fieldsOnly && (
          <ProblemAlert problem={problem} action="create the credential">
            {other.length > 0 && (
              <ul>
                {other.map((message) => (
                  <li>{message}</li>
                ))}
              </ul>
            )}
          </ProblemAlert>
        )}
        {fieldsOnly && (
          <p role="alert" class="problem">
            Not created: {problem!.detail} Each problem is shown under its field.
          </p>
        )}
        <div class="actions">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create credential'}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
