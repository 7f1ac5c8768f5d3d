import { z } from 'zod';
import { type AllowedHost, parseAllowHosts } from './webhook-address.js';

/** True when the text is a comma list of host[:port] (FLEETVAULT_WEBHOOK_ALLOW_HOSTS). */
export function isAllowHostList(text: string): boolean {
  try {
    parseAllowHosts(text);
    return true;
  } catch {
    return false;
  }
}

/** `5,300,1800` → delays in seconds before each retry (fractions allowed, for tests). */
export const parseRetrySchedule = (text: string): number[] => text.split(',').map((part) => Number(part.trim()));

/** FLEETVAULT_WEBHOOK_RETRY_SCHEDULE: 1 to 20 delays, each 0 to 7 days. */
export function isRetrySchedule(text: string): boolean {
  const delays = parseRetrySchedule(text);
  return delays.length <= 20 && delays.every((d) => Number.isFinite(d) && d >= 0 && d <= 604_800);
}

/** The two list settings' text, checked (the config parses them once it has them). */
export const allowHostsText = z.string().max(8192).refine(isAllowHostList, 'must be comma-separated host[:port]');
export const retryScheduleText = z.string().max(1024).refine(isRetrySchedule, 'must be up to 20 comma-separated seconds, each 0 to 604800');

/** The webhook settings of Config (docs/operations.md). */
export interface WebhookSettings {
  /** Hosts admitted although they resolve to private addresses, and over http: (FLEETVAULT_WEBHOOK_ALLOW_HOSTS). */
  readonly allowHosts: readonly AllowedHost[];
  /** Delay before each retry; a delivery fails once they are used up. */
  readonly retryScheduleSeconds: readonly number[];
  /** One attempt's limit, connection to last byte read. */
  readonly timeoutMs: number;
  /** Deliveries in flight per process. */
  readonly concurrency: number;
}
