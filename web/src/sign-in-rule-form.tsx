import { useEffect, useState } from 'preact/hooks';
import { call, type Problem, problemSlug } from './api';
import type { RuleScope, SignInRuleCreate, SignInRuleView } from './api-shapes';
import { ProblemAlert, splitFieldErrors } from './problem-alert';
import type { Session } from './session';

/** Every scope the API accepts in a rule (a Record, so the compiler fails when the API's list changes). */
const scopeHints: Record<RuleScope, string> = {
  'credentials:read': 'list and read credentials',
  'credentials:write': 'create, change, rotate and delete credentials',
  'credentials:reveal': 'reveal secrets',
  'credentials:exchange': 'exchange credentials for brand tokens',
  'vehicles:read': 'list vehicles',
  'vehicles:write': 'add, change and delete vehicles',
  'clients:manage': 'manage API clients and sign-in rules',
  'audit:read': 'read the audit trail',
  'webhooks:manage': 'manage webhooks',
};
const ruleScopes = Object.keys(scopeHints) as RuleScope[];
const fields = ['claim', 'equals', 'scopes', 'restrict'] as const;

/** A field error of the form keyed by the body's top-level member (`/restrict/brands/0` → `restrict`). */
function topLevelErrors(problem: Problem | undefined): Problem | undefined {
  if (problem?.errors === undefined) return problem;
  return { ...problem, errors: problem.errors.map((e) => ({ ...e, pointer: e.pointer.replace(/^(\/[^/]+)\/.*$/, '$1') })) };
}

/** The create form: claim, value, scopes (only those the caller holds can be granted) and an optional brand list. */
export function RuleCreateForm({ session, onCreated }: { session: Session; onCreated: (rule: SignInRuleView) => void }) {
  const [claim, setClaim] = useState('');
  const [equals, setEquals] = useState('');
  const [scopes, setScopes] = useState<RuleScope[]>([]);
  const [brands, setBrands] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const { byField, other } = splitFieldErrors(topLevelErrors(problem), fields);
  const firstInvalid = fields.find((n) => byField[n] !== undefined);

  useEffect(() => {
    if (firstInvalid !== undefined) document.getElementById(`rule-${firstInvalid}`)?.focus();
  }, [problem]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    const brandList = brands
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b !== '');
    const body: SignInRuleCreate = { claim, equals, scopes, ...(brandList.length > 0 && { restrict: { brands: brandList } }) };
    const res = await call(() => session.api.POST('/sign-in-rules', { body }));
    setBusy(false);
    if (!res.ok) return setProblem(res.problem);
    setProblem(undefined);
    setClaim('');
    setEquals('');
    setScopes([]);
    setBrands('');
    onCreated(res.data);
  };

  const error = (name: (typeof fields)[number]) =>
    byField[name] && (
      <p id={`rule-${name}-error`} class="field-error">
        {byField[name]}
      </p>
    );
  const described = (name: (typeof fields)[number]) => ({
    'aria-describedby': [`rule-${name}-hint`, byField[name] ? `rule-${name}-error` : ''].filter(Boolean).join(' '),
    'aria-invalid': byField[name] ? ('true' as const) : undefined,
  });
  const fieldsOnly = problem !== undefined && problemSlug(problem) === 'validation-failed' && other.length === 0;
  return (
    <form class="stack panel" onSubmit={submit} noValidate aria-labelledby="rule-create-heading">
      <h2 id="rule-create-heading">New sign-in rule</h2>
      <div class={`field${byField.claim ? ' invalid' : ''}`}>
        <label for="rule-claim">Claim</label>
        <input
          id="rule-claim"
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={claim}
          {...described('claim')}
          onInput={(e) => setClaim(e.currentTarget.value)}
        />
        <p id="rule-claim-hint" class="hint">
          An ID token claim: <code>groups</code>, <code>email</code>, <code>hd</code>, … (letters, digits, _ . : / -).
        </p>
        {error('claim')}
      </div>
      <div class={`field${byField.equals ? ' invalid' : ''}`}>
        <label for="rule-equals">Equals</label>
        <input
          id="rule-equals"
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={equals}
          {...described('equals')}
          onInput={(e) => setEquals(e.currentTarget.value)}
        />
        <p id="rule-equals-hint" class="hint">
          The value the claim must equal (for a list claim such as groups: hold).
        </p>
        {error('equals')}
      </div>
      <fieldset
        id="rule-scopes"
        tabIndex={-1}
        aria-describedby={described('scopes')['aria-describedby']}
        class={byField.scopes ? 'invalid' : undefined}
      >
        <legend>Scopes</legend>
        <p id="rule-scopes-hint" class="hint">
          What the rule's people may do. You can grant only the scopes your own token holds.
        </p>
        {ruleScopes.map((scope) => (
          <label class="check" key={scope}>
            <input
              type="checkbox"
              checked={scopes.includes(scope)}
              disabled={!session.scopes.has(scope)}
              onChange={(e) => setScopes(e.currentTarget.checked ? [...scopes, scope] : scopes.filter((s) => s !== scope))}
            />{' '}
            <code>{scope}</code> <span class="hint">{scopeHints[scope]}</span>
          </label>
        ))}
        {error('scopes')}
      </fieldset>
      <div class={`field${byField.restrict ? ' invalid' : ''}`}>
        <label for="rule-restrict">
          Restrict to brands <span class="opt"> optional</span>
        </label>
        <input
          id="rule-restrict"
          type="text"
          autocomplete="off"
          spellcheck={false}
          value={brands}
          {...described('restrict')}
          onInput={(e) => setBrands(e.currentTarget.value)}
        />
        <p id="rule-restrict-hint" class="hint">
          Brand slugs, comma-separated (e.g. <code>niu, tesla</code>); empty: the whole fleet.
        </p>
        {error('restrict')}
      </div>
      {problem && !fieldsOnly && (
        <ProblemAlert problem={problem} action="create the sign-in rule">
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
          Not created: {problem.detail} Each problem is shown under its field.
        </p>
      )}
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create rule'}
        </button>
      </div>
    </form>
  );
}
