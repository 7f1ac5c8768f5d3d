import { useEffect, useState } from 'preact/hooks';
import type { call, Problem } from './api';

type CallResult<T> = Awaited<ReturnType<typeof call<T>>>;

/** One keyset-paged list as a screen shows it: the page on screen, its problem, and the moves it offers. */
export interface CursorPages<T> {
  page: T | undefined;
  problem: Problem | undefined;
  /** A read is in flight (the page shown may be the previous one). */
  loading: boolean;
  /** The number of the page shown, from 1: it changes when that page's answer arrives, not when it is asked for. */
  number: number;
  /** The page shown is the first (nothing to go back to). */
  atFirst: boolean;
  back: () => void;
  forward: () => void;
  /** Back to the first page, e.g. when a filter changes. */
  restart: () => void;
}

/**
 * A list the vault pages by key (docs/design.md §2.1: `limit`, `cursor`, `next_cursor`). Keeps the cursors walked so
 * far (the last is the page shown; undefined is the first page) and reads the page again whenever that cursor or one
 * of `dependencies` changes. An answer that arrives after a newer read started is dropped, so a slow first page can
 * never replace the page the user moved to.
 */
export function useCursorPages<T extends { next_cursor: string | null }>(
  read: (cursor: string | undefined) => Promise<CallResult<T>>,
  dependencies: readonly unknown[],
): CursorPages<T> {
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [shown, setShown] = useState<{ page: T; number: number } | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [loading, setLoading] = useState(true);
  const cursor = cursors[cursors.length - 1];
  const number = cursors.length;

  useEffect(() => {
    let current = true;
    setLoading(true);
    void read(cursor).then((res) => {
      if (!current) return;
      setLoading(false);
      if (res.ok) {
        setShown({ page: res.data, number });
        setProblem(undefined);
      } else setProblem(res.problem);
    });
    return () => {
      current = false;
    };
    // `read` is a new closure on every render; what it reads is listed by the caller in `dependencies`.
  }, [cursor, ...dependencies]);

  const page = shown?.page;
  return {
    page,
    problem,
    loading,
    number: shown?.number ?? 1,
    atFirst: cursors.length === 1,
    back: () => setCursors((walked) => (walked.length > 1 ? walked.slice(0, -1) : walked)),
    // Only from the page on screen: a second click before the next page arrives does not skip one.
    forward: () => {
      const next = page?.next_cursor;
      if (next && shown !== undefined) setCursors((walked) => (walked.length === shown.number ? [...walked, next] : walked));
    },
    restart: () => setCursors([undefined]),
  };
}

/** Previous / next buttons of a paged list; `label` names the list for assistive technology. */
export function Pager<T extends { next_cursor: string | null }>({
  label,
  pages,
  backText = 'Previous page',
  forwardText = 'Next page',
}: {
  label: string;
  pages: CursorPages<T>;
  backText?: string;
  forwardText?: string;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" disabled={pages.atFirst} onClick={pages.back}>
        {backText}
      </button>
      <button type="button" disabled={!pages.page?.next_cursor} onClick={pages.forward}>
        {forwardText}
      </button>
    </nav>
  );
}
