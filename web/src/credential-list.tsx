import { useState } from 'preact/hooks';
import { type Brand, call, type CredentialView } from './api';
import { Pager, useCursorPages } from './cursor-pages';
import { ProblemAlert, useFocusOnMount } from './problem-alert';
import { formatTime, type Session } from './session';

const PAGE_SIZE = 20;

/** The identity fields of a credential as `name value` pairs, in the catalogue's order. */
export function identityOf(credential: CredentialView, brand: Brand | undefined): [string, string][] {
  const fields = brand?.fields.filter((f) => f.kind === 'identity') ?? [];
  const values = credential as unknown as Record<string, unknown>;
  return fields.flatMap((f) => (typeof values[f.name] === 'string' ? [[f.name, values[f.name] as string] as [string, string]] : []));
}

function caption(count: number, pageNumber: number, filtered: boolean): string {
  if (count === 0) return filtered ? 'No credential matches this search.' : 'No credentials yet.';
  return `Page ${pageNumber}: ${count} credential${count === 1 ? '' : 's'}, sorted by name${filtered ? ', filtered' : ''}.`;
}

interface Filter {
  q: string;
  brand: string;
}

/** Credentials across brands, sorted by name by the server (docs/design.md §2.1), with `q`, a brand filter and keyset paging. */
export function CredentialList({
  session,
  brands,
  onOpen,
  onCreate,
}: {
  session: Session;
  brands: Brand[];
  onOpen: (credential: CredentialView) => void;
  onCreate: () => void;
}) {
  const [draft, setDraft] = useState<Filter>({ q: '', brand: '' });
  const [filter, setFilter] = useState<Filter>({ q: '', brand: '' });
  const pages = useCursorPages(
    (cursor) => {
      const query = {
        limit: PAGE_SIZE,
        ...(cursor !== undefined && { cursor }),
        ...(filter.q.trim() !== '' && { q: filter.q.trim() }),
        ...(filter.brand !== '' && { brand: filter.brand }),
      };
      return call(() => session.api.GET('/credentials', { params: { query } }));
    },
    [session, filter],
  );
  const { page, problem, loading } = pages;
  const heading = useFocusOnMount<HTMLHeadingElement>();

  const search = (event: Event) => {
    event.preventDefault();
    setFilter({ ...draft });
    pages.restart();
  };
  const brandName = (slug: string) => brands.find((b) => b.slug === slug)?.display_name ?? slug;
  const filtered = filter.q.trim() !== '' || filter.brand !== '';

  return (
    <section aria-labelledby="credentials-heading">
      <div class="section-head">
        <h1 id="credentials-heading" ref={heading} tabIndex={-1}>
          Credentials
        </h1>
        {session.can('credentials:write') && (
          <button type="button" class="primary" onClick={onCreate}>
            New credential
          </button>
        )}
      </div>
      <form class="filters" role="search" onSubmit={search}>
        <div class="field">
          <label for="credential-search">Name contains</label>
          <input id="credential-search" type="search" value={draft.q} onInput={(e) => setDraft({ ...draft, q: e.currentTarget.value })} />
        </div>
        <div class="field">
          <label for="credential-brand">Brand</label>
          <select id="credential-brand" value={draft.brand} onChange={(e) => setDraft({ ...draft, brand: e.currentTarget.value })}>
            <option value="">All brands</option>
            {brands.map((b) => (
              <option value={b.slug}>{b.display_name}</option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      {problem && <ProblemAlert problem={problem} action="list the credentials" />}
      {page && (
        <table class="data" aria-busy={loading}>
          <caption>{caption(page.items.length, pages.number, filtered)}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Brand</th>
              <th scope="col">Identity</th>
              <th scope="col">Secret version</th>
              <th scope="col">Vehicles</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((c) => (
              <tr key={c.id}>
                <th scope="row" data-label="Name">
                  <button type="button" class="link" onClick={() => onOpen(c)}>
                    {c.name ?? `(unnamed) ${c.id}`}
                  </button>
                </th>
                <td data-label="Brand">{brandName(c.brand)}</td>
                <td data-label="Identity">
                  {identityOf(
                    c,
                    brands.find((b) => b.slug === c.brand),
                  ).map(([name, value]) => (
                    <span class="pair">
                      <span class="key">{name}</span> <code>{value}</code>
                    </span>
                  ))}
                </td>
                <td data-label="Secret version" class="num">
                  {c.secret_version}
                </td>
                <td data-label="Vehicles" class="num">
                  {c.vehicle_count}
                </td>
                <td data-label="Status">
                  <StatusText credential={c} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager label="Credential pages" pages={pages} />
    </section>
  );
}

/**
 * The brand-exchange status (docs/design.md §2.9): `unknown` until an exchange or verify has answered,
 * then `authorized`, `rejected` or `unreachable`, with when the vault last checked.
 */
export function StatusText({ credential }: { credential: CredentialView }) {
  const { status, status_checked_at: checkedAt } = credential;
  return (
    <span class={`status status-${status}`}>
      {status}
      {checkedAt && <span class="hint"> (checked {formatTime(checkedAt)})</span>}
    </span>
  );
}
