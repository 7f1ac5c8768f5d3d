import { monotonicFactory } from 'ulid';

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new ULID. */
  next(): string;
}

export const systemClock: Clock = { now: () => new Date() };

/** Monotonic ULIDs: ids made in the same millisecond still sort in creation order. */
export function ulidGenerator(clock: Clock = systemClock): IdGenerator {
  const next = monotonicFactory();
  return { next: () => next(clock.now().getTime()) };
}

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
