/**
 * One brand's token flow (docs/design.md §2.9): build the documented request, read the documented
 * answer, and map the brand's errors. Adapters are pure: no I/O, no clock of their own; the
 * shared client (`brand-http-client.ts`) sends, retries and guards the host.
 */
export interface ExchangeInput {
  /** The credential's identity and setting fields. */
  fields: Readonly<Record<string, string>>;
  secrets: Readonly<Record<string, string>>;
  /** The caller's `scope`, only for adapters with `takesScope`. */
  scope: string | undefined;
  now: Date;
  /** A fresh random id (UUID) for single-use assertion ids. */
  newJti: () => string;
}

export interface UpstreamRequest {
  /** The documented https URL; `FLEETVAULT_BRAND_URL_<SLUG>` swaps its origin only. */
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface BrandToken {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string | undefined;
  /** Brand-specific extras shown to the caller (Geotab's database, user_name, server, path). */
  extras?: Record<string, string>;
}

/** What the brand said, once the client has a final answer (not a 5xx or 429 it retries). */
export type BrandAnswer =
  | { kind: 'token'; token: BrandToken }
  /** The brand refused the stored secrets: 409 brand-rejected-credentials (422 on verify). */
  | { kind: 'rejected'; code: string | undefined }
  /** An answer the vault cannot use (unexpected status, malformed body): 502 brand-unavailable. */
  | { kind: 'unusable'; code: string | undefined };

export interface BrandAdapter {
  brand: string;
  /** Whether the brand's token request takes a `scope` (Tesla does); others refuse one with 422. */
  takesScope: boolean;
  /** The fields its tokens add to the exchange answer (`BrandToken.extras`), each with its description for the API document. */
  answerExtras?: Readonly<Record<string, string>>;
  buildRequest(input: ExchangeInput): UpstreamRequest;
  /** `body` is the parsed JSON, or undefined when the answer was not JSON; `fields` are the credential's. */
  readAnswer(status: number, body: unknown, fields: Readonly<Record<string, string>>): BrandAnswer;
}
