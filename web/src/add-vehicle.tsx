import { useState } from 'preact/hooks';
import { call, type CredentialView, type Problem, type VehicleView } from './api';
import { ProblemAlert, splitFieldErrors } from './problem-alert';
import type { Session } from './session';

const fields = [
  {
    name: 'telematics_unit_id',
    label: 'Telematics unit id',
    required: true,
    hint: "The unit's id at the maker, unique per brand in the fleet.",
  },
  { name: 'name', label: 'Name', required: false, hint: 'How your team calls the vehicle.' },
  { name: 'vin', label: 'VIN', required: false, hint: '17 characters; I, O and Q are not used.' },
] as const;

/** A vehicle of this credential's brand, reached with it (POST /vehicles). */
export function AddVehicle({
  session,
  credential,
  onAdded,
}: {
  session: Session;
  credential: CredentialView;
  onAdded: (v: VehicleView) => void;
}) {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<Problem | undefined>();
  const { byField, other } = splitFieldErrors(
    problem,
    fields.map((f) => f.name),
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    const optional = Object.fromEntries(Object.entries(values).filter(([k, v]) => k !== 'telematics_unit_id' && v.trim() !== ''));
    const res = await call(() =>
      session.api.POST('/vehicles', {
        body: {
          telematics_brand: credential.brand,
          credentials_id: credential.id,
          telematics_unit_id: values.telematics_unit_id ?? '',
          ...optional,
        },
      }),
    );
    if (!res.ok) return setProblem(res.problem);
    setValues({});
    setProblem(undefined);
    setOpen(false);
    onAdded(res.data);
  };

  if (!open)
    return (
      <button type="button" onClick={() => setOpen(true)}>
        Add a vehicle…
      </button>
    );
  return (
    <form class="stack add-vehicle" onSubmit={submit} noValidate aria-label="Add a vehicle">
      {fields.map((f) => (
        <div class={`field${byField[f.name] ? ' invalid' : ''}`}>
          <label for={`vehicle-${f.name}`}>
            {f.label}
            {f.required ? <span class="req"> required</span> : <span class="opt"> optional</span>}
          </label>
          <input
            id={`vehicle-${f.name}`}
            value={values[f.name] ?? ''}
            aria-describedby={`vehicle-${f.name}-hint${byField[f.name] ? ` vehicle-${f.name}-error` : ''}`}
            aria-invalid={byField[f.name] ? 'true' : undefined}
            aria-required={f.required ? 'true' : undefined}
            onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
          />
          <p id={`vehicle-${f.name}-hint`} class="hint">
            {f.hint}
          </p>
          {byField[f.name] && (
            <p id={`vehicle-${f.name}-error`} class="field-error">
              {byField[f.name]}
            </p>
          )}
        </div>
      ))}
      {problem && (
        <ProblemAlert problem={problem} action="add the vehicle">
          {other.length > 0 && (
            <ul>
              {other.map((m) => (
                <li>{m}</li>
              ))}
            </ul>
          )}
        </ProblemAlert>
      )}
      <div class="actions">
        <button type="submit">Add vehicle</button>
        <button type="button" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
