import { useState } from 'preact/hooks';
import type { Fleet } from './person-sign-in';
import { useFocusOnMount } from './problem-alert';

/** A person whose sign-in rules match several fleets picks one (docs/sign-in.md); the token is for that fleet only. */
export function FleetPicker({
  fleets,
  onChoose,
  onCancel,
}: {
  fleets: Fleet[];
  onChoose: (fleetId: string) => Promise<void>;
  onCancel: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  return (
    <main class="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Choose a fleet
      </h1>
      <p class="hint">Your organisation's rules let you into several fleets. You act in one at a time.</p>
      <ul class="fleet-choices">
        {fleets.map((fleet) => (
          <li key={fleet.id}>
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={() => {
                setBusy(true);
                void onChoose(fleet.id).finally(() => setBusy(false));
              }}
            >
              {fleet.name}
            </button>{' '}
            <code>{fleet.id}</code>
          </li>
        ))}
      </ul>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </main>
  );
}
