/**
 * SIGTERM and SIGINT, caught from the first line of `server.ts` on: a supervisor doing a rolling
 * restart may signal as soon as the process exists, and without a handler Node's default ends the
 * process by the signal itself, with the database half-opened. A signal that comes
 * during start-up is remembered; start-up checks it between its steps, closes what it opened and
 * exits 0. Once the server runs, `onStop` receives it. No imports: nothing can delay this module.
 */
export type StopSignal = 'SIGTERM' | 'SIGINT';

export class StartAborted extends Error {
  override name = 'StartAborted';
  constructor(readonly signal: StopSignal) {
    super(`start-up aborted by ${signal}`);
  }
}

export interface StopSignals {
  /** The first signal received, if any. */
  readonly received: StopSignal | undefined;
  /** Throws StartAborted when a signal came: call between the steps of start-up. */
  throwIfReceived(): void;
  /** From now on a signal (or one that already came) runs `stop`, once. */
  onStop(stop: (signal: StopSignal) => void): void;
}

export function trapStopSignals(): StopSignals {
  let received: StopSignal | undefined;
  let stop: ((signal: StopSignal) => void) | undefined;
  const on = (signal: StopSignal) => {
    if (received !== undefined) return;
    received = signal;
    stop?.(signal);
  };
  process.on('SIGTERM', () => on('SIGTERM'));
  process.on('SIGINT', () => on('SIGINT'));
  return {
    get received() {
      return received;
    },
    throwIfReceived() {
      if (received !== undefined) throw new StartAborted(received);
    },
    onStop(fn) {
      stop = fn;
      if (received !== undefined) fn(received);
    },
  };
}
