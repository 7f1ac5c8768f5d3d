import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type Brand, call, type Problem, type TokenAnswer } from './api';
import { AuditPanel } from './audit-panel';
import { CredentialCreate } from './credential-create';
import { CredentialDetail } from './credential-detail';
import { CredentialList } from './credential-list';
import { ProblemAlert } from './problem-alert';
import { createSession, formatTime, type Session } from './session';
import { SignIn } from './sign-in';
import { SignInRulesPanel } from './sign-in-rules-panel';
import { WebhooksPanel } from './webhooks-panel';

type View =
  | { kind: 'list' }
  | { kind: 'create' }
  | { kind: 'credential'; brand: string; id: string }
  | { kind: 'audit' }
  | { kind: 'webhooks' }
  | { kind: 'rules' };

/** The views of the navigation's own tabs; the others belong to the Credentials tab. */
const tabViews: readonly View['kind'][] = ['audit', 'webhooks', 'rules'];

/** The console: sign-in, then the credential screens of docs/design.md §2.10 over the public API. */
export function App() {
  const [session, setSession] = useState<Session | undefined>();
  const [signedOutMessage, setSignedOutMessage] = useState<string | undefined>();
  const expiryTimer = useRef<number | undefined>(undefined);

  const signOut = useCallback((message: string) => {
    window.clearTimeout(expiryTimer.current);
    // Dropping the session drops the token: nothing else holds it.
    setSession(undefined);
    setSignedOutMessage(message);
  }, []);

  const signIn = useCallback(
    (who: Session['who'], token: TokenAnswer) => {
      const next = createSession(who, token, (problem) =>
        signOut(`The vault no longer accepts this session${problem ? ` (${problem.detail})` : ''}. Sign in again.`),
      );
      window.clearTimeout(expiryTimer.current);
      expiryTimer.current = window.setTimeout(
        () => signOut(`Your session expired at ${formatTime(next.expiresAt)}. Sign in again.`),
        next.expiresAt.getTime() - Date.now(),
      );
      setSignedOutMessage(undefined);
      setSession(next);
    },
    [signOut],
  );

  useEffect(() => () => window.clearTimeout(expiryTimer.current), []);

  if (session === undefined) return <SignIn message={signedOutMessage} onSignedIn={signIn} />;
  return <Console session={session} onSignOut={() => signOut('You signed out.')} />;
}

function Console({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [view, setView] = useState<View>({ kind: 'list' });
  const [brands, setBrands] = useState<Brand[] | undefined>();
  const [brandsProblem, setBrandsProblem] = useState<Problem | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    void call(() => session.api.GET('/brands')).then((res) => (res.ok ? setBrands(res.data.items) : setBrandsProblem(res.problem)));
  }, [session]);

  const go = (next: View, message?: string) => {
    setNotice(message);
    setView(next);
  };

  // An API client by its id; a person by name and email (docs/sign-in.md).
  const who = session.who.kind === 'client' ? <code>{session.who.label}</code> : <strong>{session.who.label}</strong>;

  return (
    <div class="shell">
      <header class="topbar">
        <span class="product">fleetvault console</span>
        <nav aria-label="Main">
          <button
            type="button"
            class="tab"
            aria-current={!tabViews.includes(view.kind) ? 'page' : undefined}
            onClick={() => go({ kind: 'list' })}
          >
            Credentials
          </button>
          {/* GET /audit needs audit:read (docs/design.md §2.6): without it the screen would only show a 403. */}
          {session.can('audit:read') && (
            <button
              type="button"
              class="tab"
              aria-current={view.kind === 'audit' ? 'page' : undefined}
              onClick={() => go({ kind: 'audit' })}
            >
              Audit trail
            </button>
          )}
          {/* /webhooks needs webhooks:manage, granted only by name (docs/webhooks.md). */}
          {session.can('webhooks:manage') && (
            <button
              type="button"
              class="tab"
              aria-current={view.kind === 'webhooks' ? 'page' : undefined}
              onClick={() => go({ kind: 'webhooks' })}
            >
              Webhooks
            </button>
          )}
          {/* /sign-in-rules needs clients:manage, granted only by name (docs/people.md). */}
          {session.can('clients:manage') && (
            <button
              type="button"
              class="tab"
              aria-current={view.kind === 'rules' ? 'page' : undefined}
              onClick={() => go({ kind: 'rules' })}
            >
              Sign-in rules
            </button>
          )}
        </nav>
        <div class="who">
          <span>
            Signed in as {who}, until {formatTime(session.expiresAt)}
          </span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        <p role="status" class="notice">
          {notice}
        </p>
        {brandsProblem && <ProblemAlert problem={brandsProblem} action="load the brand catalogue" />}
        {brands && view.kind === 'list' && (
          <CredentialList
            session={session}
            brands={brands}
            onOpen={(c) => go({ kind: 'credential', brand: c.brand, id: c.id })}
            onCreate={() => go({ kind: 'create' })}
          />
        )}
        {brands && view.kind === 'create' && (
          <CredentialCreate
            session={session}
            brands={brands}
            onCreated={(c) => go({ kind: 'credential', brand: c.brand, id: c.id }, `Created ${c.name ?? c.id}.`)}
            onCancel={() => go({ kind: 'list' })}
          />
        )}
        {brands && view.kind === 'credential' && (
          <CredentialDetail
            key={view.id}
            session={session}
            slug={view.brand}
            brands={brands}
            id={view.id}
            onBack={() => go({ kind: 'list' })}
            onDeleted={(message) => go({ kind: 'list' }, message)}
          />
        )}
        {view.kind === 'audit' && <AuditPanel session={session} title="Audit trail" level={1} />}
        {view.kind === 'webhooks' && <WebhooksPanel session={session} />}
        {view.kind === 'rules' && <SignInRulesPanel session={session} />}
      </main>
    </div>
  );
}
