import { useState } from 'preact/hooks';
import { requestToken, type TokenAnswer } from './api';
import { useFocusOnMount } from './problem-alert';

/** Client id + secret → `/oauth/token`. The secret is held by this form only until the answer arrives. */
export function SignIn({
  message,
  onSignedIn,
}: {
  message: string | undefined;
  onSignedIn: (clientId: string, token: TokenAnswer) => void;
}) {
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    const result = await requestToken(clientId.trim(), clientSecret);
    setBusy(false);
    if (!result.ok) return setError(result.message);
    setClientSecret('');
    onSignedIn(clientId.trim(), result.token);
  };

  return (
    <main class="sign-in">
      <h1 ref={heading} tabIndex={-1}>
        Sign in to fleetvault
      </h1>
      <p class="hint">
        Use an API client of your fleet (for example the one in bootstrap-client.json). The token stays in this tab's memory only.
      </p>
      {message && (
        <p role="status" class="notice">
          {message}
        </p>
      )}
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
