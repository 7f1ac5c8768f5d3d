/**
 * What happened to a credential's secrets, announced once the change has committed. Every path that
 * changes them (create, rotate, restore, delete) announces here, so what must follow a change (drop
 * the cached brand tokens, count it) is subscribed once and cannot be skipped by a path that was
 * forgotten. Listeners run in this process only: another replica learns of a rotation from the
 * secret version in its cache key (docs/brands.md).
 */
export type CredentialChangeKind = 'created' | 'rotated' | 'restored' | 'deleted';

export interface CredentialChange {
  kind: CredentialChangeKind;
  fleetId: string;
  credentialId: string;
  /** The brand's canonical slug: a closed set, safe as a metric label. */
  brand: string;
}

export type CredentialChangeListener = (change: CredentialChange) => void;

export interface CredentialChanges {
  subscribe(listener: CredentialChangeListener): void;
  announce(change: CredentialChange): void;
}

export function createCredentialChanges(): CredentialChanges {
  const listeners: CredentialChangeListener[] = [];
  return {
    subscribe(listener) {
      listeners.push(listener);
    },
    announce(change) {
      // Listeners are in-process and synchronous; the change has already committed, so it is announced to all.
      for (const listener of listeners) listener(change);
    },
  };
}
