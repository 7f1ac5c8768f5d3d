import { Counter, type Registry } from 'prom-client';
import type { CredentialChangeKind, CredentialChanges } from './credential-changes.js';

/**
 * Counts committed changes of credentials on the app's registry, by brand slug (a closed set). A failed
 * call or an idempotent replay announces nothing, so counts nothing; no name or secret is a label.
 */
export function countCredentialChanges(changes: CredentialChanges, registry: Registry): void {
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['brand'] as const, registers: [registry] });
  const counters: Record<CredentialChangeKind, Counter<'brand'>> = {
    created: counter('fleetvault_credentials_created_total', 'Credentials stored, by brand.'),
    rotated: counter('fleetvault_credentials_rotated_total', 'Secret rotations, by brand.'),
    restored: counter('fleetvault_credentials_restored_total', 'Earlier secret versions restored as current, by brand.'),
    deleted: counter('fleetvault_credentials_deleted_total', 'Credentials deleted, by brand.'),
  };
  changes.subscribe((change) => counters[change.kind].inc({ brand: change.brand }));
}
