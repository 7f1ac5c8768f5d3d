import { useEffect, useState } from 'preact/hooks';
import { requestToken, type TokenAnswer } from './api';
import { FleetPicker } from './fleet-picker';
import { finishPersonSignIn, type PersonSignInResult, providerName, startPersonSignIn } from './person-sign-in';
import { useFocusOnMount } from './problem-alert';
import type { Session } from './session';

/**
 * "Sign in with <provider>" when the vault has an identity provider (docs/sign-in.md), and the API client form:
 * client id + secret → `/oauth/token`, the secret held by this form only until the answer arrives.
 */
export function SignIn({
  message,
  onSignedIn,
}: {
  message: string | undefined;
  onSignedIn: (who: Session['who'], token: TokenAnswer) => void;
}) {
  const [provider, setProvider] = useState<string | undefined>();
  const [person, setPerson] = useState<PersonSignInResult | 'finishing' | undefined>();
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const settle = (result: PersonSignInResult | undefined) => {
    if (result?.kind === 'signed-in') onSignedIn({ kind: 'person', label: result.who }, result.token);
    else setPerson(result);
  };

  useEffect(() => {
    void providerName().then(setProvider);
    if (new URLSearchParams(location.search).has('state')) {
      setPerson('finishing');
      void finishPersonSignIn().then(settle);
    }
  }, []);

  if (person === 'finishing')
    return (
      <main class="sign-in">
        <p role="status">Signing you in…</p>
      </main>
    );
  if (person?.kind === 'choose-fleet') {
    return (
      <FleetPicker fleets={person.fleets} onChoose={async (id) => settle(await person.choose(id))} onCancel={() => setPerson(undefined)} />
    );
  }

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const result = await requestToken(clientId.trim(), clientSecret);
    setBusy(false);
    if (!result.ok) return setError(result.message);
    setClientSecret('');
    onSignedIn({ kind: 'client', label: clientId.trim() }, result.token);
  };

  return (
    <main class="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Sign in to fleetvault
      </h1>
      {message && (
        <p role="status" class="notice">
          {message}
        </p>
      )}
      {person?.kind === 'failed' && (
        <p role="alert" class="problem">
          {person.message}
        </p>
      )}
      {provider !== undefined && (
        <section class="person-sign-in" aria-label="Sign in as yourself">
          <button type="button" class="primary" onClick={() => void startPersonSignIn()}>
            Sign in with {provider}
          </button>
          <p class="hint">Your organisation's account; what you do is recorded under your name.</p>
        </section>
      )}
      <h2>{provider !== undefined ? 'Or with an API client' : 'With an API client'}</h2>
      <p class="hint">
        Use an API client of your fleet (for example the one in bootstrap-client.json). The token stays in this tab's memory only.
      </p>
      <form onSubmit={submit} aria-describedby={error ? 'sign-in-error' : undefined}>
        <label for="client-id">Client id</label>
        <input
          id="client-id"
          name="client_id"
          autocomplete="username"
          spellcheck={false}
          value={clientId}
          onInput={(e) => setClientId(e.currentTarget.value)}
          required
        />
        <label for="client-secret">Client secret</label>
        <input
          id="client-secret"
          name="client_secret"
          type="password"
          autocomplete="current-password"
          value={clientSecret}
          onInput={(e) => setClientSecret(e.currentTarget.value)}
          required
        />
        {error && (
          <p id="sign-in-error" role="alert" class="problem">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
