import { Counter, type Registry } from 'prom-client';
import { findBrand } from '../brands/brand-registry.js';
import type { CredentialService } from './credentials.service.js';

/**
 * The credential service with its own counters on the app's registry: what it completed, by
 * brand slug (a closed set). A failed call counts nothing; no credential's name or secret is a label.
 */
export function countCredentialChanges(service: CredentialService, registry: Registry): CredentialService {
  const counter = (name: string, help: string) => new Counter({ name, help, labelNames: ['brand'] as const, registers: [registry] });
  const created = counter('fleetvault_credentials_created_total', 'Credentials stored, by brand.');
  const rotated = counter('fleetvault_credentials_rotated_total', 'Secret rotations, by brand.');
  const deleted = counter('fleetvault_credentials_deleted_total', 'Credentials deleted, by brand.');
  return {
    ...service,
    async create(...args) {
      const view = await service.create(...args);
      created.inc({ brand: view.brand });
      return view;
    },
    async rotate(...args) {
      const view = await service.rotate(...args);
      rotated.inc({ brand: view.brand });
      return view;
    },
    async delete(...args) {
      await service.delete(...args);
      // It was deleted, so the brand is a known one: label by the canonical slug, not the path as typed.
      deleted.inc({ brand: findBrand(args[1])?.slug ?? 'unknown' });
    },
  };
}
