import { useEffect, useRef } from 'preact/hooks';
import type { Problem } from './api';

/** A failed call, said plainly: what could not be done, the server's detail, and the id to quote to an operator. */
export function ProblemAlert({ problem, action, children }: { problem: Problem; action: string; children?: preact.ComponentChildren }) {
  return (
    <div role="alert" class="problem">
      <p>
        <strong>Could not {action}.</strong> {problem.detail}
      </p>
      {children}
      {problem.request_id && <p class="request-id">Request id: {problem.request_id}</p>}
    </div>
  );
}

/** Moves keyboard focus to the element on mount (a new screen's heading), so Tab continues from there. */
export function useFocusOnMount<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  useEffect(() => ref.current?.focus(), []);
  return ref;
}

/** JSON Pointer (RFC 6901 §4) of a top-level member → the member's name (`/client_id` → `client_id`). */
export function pointerField(pointer: string): string | undefined {
  const match = /^\/([^/]+)$/.exec(pointer);
  return match ? match[1]!.replace(/~1/g, '/').replace(/~0/g, '~') : undefined;
}

/** Field errors of a problem by member name, and the ones that name no field of the form. */
export function splitFieldErrors(problem: Problem | undefined, fields: readonly string[]) {
  const byField: Record<string, string> = {};
  const other: string[] = [];
  for (const e of problem?.errors ?? []) {
    const field = pointerField(e.pointer);
    if (field !== undefined && fields.includes(field)) byField[field] = byField[field] ? `${byField[field]} ${e.detail}` : e.detail;
    else other.push(e.pointer ? `${e.pointer}: ${e.detail}` : e.detail);
  }
  return { byField, other };
}
