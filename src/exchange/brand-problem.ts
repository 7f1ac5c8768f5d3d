import { AppError } from '../core/app-error.js';
import { UpstreamFailure } from './brand-http-client.js';

export type BrandProblemKind = 'rejected' | 'unavailable' | 'timeout' | 'breaker_open';

/**
 * A brand exchange that gave no token, in the vault's own words: the brand's status and
 * (filtered) error code, never its body or message, which can echo a secret (docs/design.md §2.9).
 */
export class BrandProblem extends Error {
  override name = 'BrandProblem';
  constructor(
    readonly kind: BrandProblemKind,
    readonly brandStatus: number | null,
    readonly brandError?: string,
    readonly retryAfterSeconds?: number,
    /** For `breaker_open`: this credential's breaker, or the host's (a brand-wide outage). */
    readonly breaker?: 'credential' | 'host',
  ) {
    super(`brand exchange failed: ${kind}`);
  }

  static fromUpstream(failure: UpstreamFailure): BrandProblem {
    if (failure.reason === 'timeout') return new BrandProblem('timeout', failure.brandStatus);
    if (failure.reason === 'breaker-open') {
      return new BrandProblem('breaker_open', null, undefined, failure.retryAfterSeconds, failure.breaker);
    }
    return new BrandProblem('unavailable', failure.brandStatus, undefined, failure.retryAfterSeconds);
  }

  /** Whether the brand was reached at all (a breaker refusal sent nothing): only then does `status` change. */
  get reachedBrand(): boolean {
    return this.kind !== 'breaker_open';
  }

  /** The problem of docs/design.md §2.9; a refusal on verify-on-write is 422 instead of 409. */
  toAppError(on: 'exchange' | 'verify'): AppError {
    const brand = { brand_status: this.brandStatus, ...(this.brandError !== undefined && { brand_error: this.brandError }) };
    switch (this.kind) {
      case 'rejected':
        return on === 'verify'
          ? new AppError('credentials-rejected-by-brand', 'The brand refused these secrets; nothing was stored.', brand)
          : new AppError('brand-rejected-credentials', 'The brand refused the stored secrets; rotate them with PATCH.', brand);
      case 'timeout':
        return new AppError('brand-timeout', 'The brand did not answer in time.', brand);
      case 'breaker_open':
        return new AppError(
          'brand-unavailable',
          this.breaker === 'credential'
            ? 'Exchanges with this credential failed repeatedly; the vault is not calling the brand for it for a while.'
            : 'The brand failed repeatedly for several fleets; the vault is not calling it for a while.',
          { ...brand, retry_after: this.retryAfterSeconds },
          { status: 503, retryAfterSeconds: this.retryAfterSeconds },
        );
      case 'unavailable':
        // A brand that said when to come back (429/503 with Retry-After) makes this a 503 with that hint.
        return this.retryAfterSeconds === undefined
          ? new AppError('brand-unavailable', 'The brand did not give a usable answer.', brand)
          : new AppError(
              'brand-unavailable',
              'The brand asked the vault to come back later.',
              { ...brand, retry_after: this.retryAfterSeconds },
              { status: 503, retryAfterSeconds: this.retryAfterSeconds },
            );
    }
  }
}

/**
 * The brand's `error` code, shown only when it looks like a code (RFC 6749 §5.2: `invalid_client`)
 * and contains none of the secrets sent: a brand echoing the secret must not leak it through us.
 */
export function safeBrandError(code: string | undefined, secrets: Readonly<Record<string, string>>): string | undefined {
  if (code === undefined || !/^[A-Za-z0-9_.:-]{1,64}$/.test(code)) return undefined;
  const leaks = Object.values(secrets).some((secret) => secret.length >= 4 && (code.includes(secret) || secret.includes(code)));
  return leaks ? undefined : code;
}
