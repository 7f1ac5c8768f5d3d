import type { CredentialChanges } from '../credentials/credential-changes.js';
import type { ExchangeService } from './exchange.service.js';

/**
 * Drops a credential's cached brand tokens whenever its secrets change or it is deleted. The cache
 * key holds the secret version too, so a replica that missed this still never serves an older
 * secret's token; this frees the memory at once and covers the delete.
 */
export function forgetTokensOnChange(changes: CredentialChanges, exchange: Pick<ExchangeService, 'forget'>): void {
  changes.subscribe((change) => {
    if (change.kind !== 'created') exchange.forget(change.credentialId);
  });
}
