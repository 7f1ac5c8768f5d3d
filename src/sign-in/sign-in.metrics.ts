import { Counter, type Registry } from 'prom-client';
import type { SignInFailureReason } from './sign-in-failure.js';

/**
 * Refused person sign-ins, by reason (a closed set: SignInFailureReason). Counted and logged, never written to an
 * audit chain: whoever can send a browser to the callback must not be able to make the vault write (docs/design.md §2.6).
 */
export function countSignInRefusals(registry: Registry): (reason: SignInFailureReason) => void {
  const refused = new Counter({
    name: 'fleetvault_person_sign_in_refusals_total',
    help: 'Person sign-ins refused at the vault (no matching rule, bad or replayed state, rejected ID token, provider errors), by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  return (reason) => refused.inc({ reason });
}
