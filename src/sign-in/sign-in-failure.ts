/**
 * Why a person's sign-in ended without a token (docs/sign-in.md). The reason is a closed set: a metrics label and
 * a log field; the message is what the person reads on the refusal page, never the provider's own text.
 */
export type SignInFailureReason =
  | 'provider-unavailable'
  | 'provider-refused'
  | 'id-token-rejected'
  | 'invalid-state'
  | 'invalid-request'
  | 'no-matching-rule'
  | 'fleet-not-matched'
  | 'invalid-user-code';

export class SignInFailed extends Error {
  constructor(
    readonly reason: SignInFailureReason,
    message: string,
    /** The HTTP status of the refusal page. */
    readonly status: number = 400,
  ) {
    super(message);
  }
}
