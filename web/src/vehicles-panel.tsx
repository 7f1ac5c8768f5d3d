import { useCallback, useEffect, useState } from 'preact/hooks';
import { call, type CredentialView, type Problem, type VehicleView } from './api';
import { AddVehicle } from './add-vehicle';
import { ProblemAlert } from './problem-alert';
import type { Session } from './session';

/** The vehicles reached with one credential, each movable to another credential of the same brand (docs/design.md §2.2). */
export function VehiclesPanel({
  session,
  credential,
  onChanged,
}: {
  session: Session;
  credential: CredentialView;
  onChanged: () => Promise<void>;
}) {
  const [vehicles, setVehicles] = useState<VehicleView[] | undefined>();
  const [more, setMore] = useState(false);
  const [others, setOthers] = useState<CredentialView[]>([]);
  const [problem, setProblem] = useState<{ problem: Problem; action: string } | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const canWrite = session.can('vehicles:write');

  const load = useCallback(async () => {
    const res = await call(() => session.api.GET('/vehicles', { params: { query: { credentials_id: credential.id, limit: 200 } } }));
    if (!res.ok) return setProblem({ problem: res.problem, action: 'list the vehicles' });
    setVehicles(res.data.items);
    setMore(res.data.next_cursor !== null);
  }, [session, credential.id]);

  useEffect(() => void load(), [load, credential.vehicle_count]);
  useEffect(() => {
    if (!canWrite) return;
    void call(() => session.api.GET('/{brand}/credentials', { params: { path: { brand: credential.brand }, query: { limit: 200 } } })).then(
      (res) => res.ok && setOthers(res.data.items.filter((c) => c.id !== credential.id)),
    );
  }, [session, credential.brand, credential.id, canWrite]);

  const changed = async (message: string) => {
    setProblem(undefined);
    setNotice(message);
    await onChanged();
    await load();
  };

  return (
    <section aria-labelledby="vehicles-heading" class="panel" id="vehicles">
      <h2 id="vehicles-heading">Vehicles</h2>
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {problem && <ProblemAlert problem={problem.problem} action={problem.action} />}
      {vehicles && vehicles.length === 0 && <p>No vehicle uses this credential.</p>}
      {vehicles && vehicles.length > 0 && (
        <table class="data">
          <caption>
            {vehicles.length} vehicle{vehicles.length === 1 ? '' : 's'} reached with this credential{more ? ' (the first 200)' : ''}.
          </caption>
          <thead>
            <tr>
              <th scope="col">Vehicle</th>
              <th scope="col">Unit id</th>
              <th scope="col">VIN</th>
              {canWrite && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {vehicles.map((v) => (
              <VehicleRow
                key={v.id}
                session={session}
                vehicle={v}
                others={others}
                canWrite={canWrite}
                onChanged={changed}
                onProblem={(p, action) => setProblem({ problem: p, action })}
              />
            ))}
          </tbody>
        </table>
      )}
      {canWrite && (
        <AddVehicle
          session={session}
          credential={credential}
          onAdded={(v) => changed(`Added vehicle ${v.name ?? v.telematics_unit_id}.`)}
        />
      )}
    </section>
  );
}

function VehicleRow({
  session,
  vehicle,
  others,
  canWrite,
  onChanged,
  onProblem,
}: {
  session: Session;
  vehicle: VehicleView;
  others: CredentialView[];
  canWrite: boolean;
  onChanged: (message: string) => Promise<void>;
  onProblem: (problem: Problem, action: string) => void;
}) {
  const [target, setTarget] = useState('');
  const [confirming, setConfirming] = useState(false);
  const label = vehicle.name ?? vehicle.telematics_unit_id;
  const selectId = `move-${vehicle.id}`;

  const move = async (event: Event) => {
    event.preventDefault();
    if (target === '') return;
    const res = await call(() =>
      session.api.PATCH('/vehicles/{id}', { params: { path: { id: vehicle.id } }, body: { credentials_id: target } }),
    );
    if (!res.ok) return onProblem(res.problem, `reassign ${label}`);
    const to = others.find((c) => c.id === target);
    await onChanged(`Moved ${label} to ${to?.name ?? target}.`);
  };
  const remove = async () => {
    const res = await call(() => session.api.DELETE('/vehicles/{id}', { params: { path: { id: vehicle.id } } }));
    setConfirming(false);
    if (!res.ok) return onProblem(res.problem, `delete ${label}`);
    await onChanged(`Deleted vehicle ${label}.`);
  };

  return (
    <tr>
      <th scope="row" data-label="Vehicle">
        {label}
        <br />
        <code class="small">{vehicle.id}</code>
      </th>
      <td data-label="Unit id">
        <code>{vehicle.telematics_unit_id}</code>
      </td>
      <td data-label="VIN">{vehicle.vin ?? '—'}</td>
      {canWrite && (
        <td data-label="Actions">
          {others.length > 0 && (
            <form class="inline" onSubmit={move}>
              <label for={selectId}>Move {label} to</label>
              <select id={selectId} value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
                <option value="">Choose a credential</option>
                {others.map((c) => (
                  <option value={c.id}>{c.name ?? c.id}</option>
                ))}
              </select>
              <button type="submit" disabled={target === ''}>
                Move
              </button>
            </form>
          )}
          {confirming ? (
            <span class="inline">
              <button type="button" class="destructive" onClick={remove} aria-label={`Yes, delete vehicle ${label}`}>
                Yes, delete
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" onClick={() => setConfirming(true)} aria-label={`Delete vehicle ${label}`}>
              Delete…
            </button>
          )}
        </td>
      )}
    </tr>
  );
}
