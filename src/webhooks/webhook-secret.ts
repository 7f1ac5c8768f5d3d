import { randomBytes } from 'node:crypto';

/** Standard Webhooks' secret form: `whsec_` + base64 of the key bytes (32 random bytes, 256 bits). */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** How long a rotated-out secret keeps signing beside the new one (docs/design.md §2.13). */
export const SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
