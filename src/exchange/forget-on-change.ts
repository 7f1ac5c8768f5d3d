import type { CredentialService } from '../credentials/credentials.service.js';
import type { ExchangeService } from './exchange.service.js';

/**
 * Drops a credential's cached brand tokens when it is rotated or deleted (DESIGN.md §2.9). The
 * cache key holds the secret version too, so a replica that missed this still never serves an
 * older secret's token; this only frees the memory at once and covers the delete.
 */
export function forgetTokensOnChange(service: CredentialService, exchange: Pick<ExchangeService, 'forget'>): CredentialService {
  return {
    ...service,
    async rotate(...args) {
      const view = await service.rotate(...args);
      exchange.forget(view.id);
      return view;
    },
    async delete(...args) {
      await service.delete(...args);
      exchange.forget(args[2].toUpperCase());
    },
  };
}
