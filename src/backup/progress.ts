/** What the backup commands report while they run. */
export interface Progress {
  /** `done` rows of `table` handled so far (a running total for that table). */
  rows(table: string, done: number): void;
  /** A new phase (verify, restore) starts: counts begin again. */
  phase(name: string): void;
  end(): void;
}

export const silentProgress: Progress = { rows() {}, phase() {}, end() {} };

const REDRAW_MS = 200;

/**
 * Progress on a terminal: one line on stderr, redrawn at most five times a second, with the table, its row count
 * and the rate over the whole phase. Nothing at all when stderr is not a terminal (a pipe, a log file, a test).
 */
export function terminalProgress(stream: NodeJS.WriteStream, now: () => number = Date.now): Progress {
  if (!stream.isTTY) return silentProgress;
  let phase = '';
  let started = now();
  let total = 0;
  let lastTable = '';
  let lastDone = 0;
  let drawnAt = 0;
  let drawn = false;
  const draw = () => {
    const seconds = Math.max((now() - started) / 1000, 0.001);
    stream.write(`\r\x1b[K${phase}: ${lastTable} ${lastDone} rows, ${total} in all, ${Math.round(total / seconds)} rows/s`);
    drawn = true;
  };
  return {
    phase(name) {
      if (drawn) stream.write('\n');
      drawn = false;
      phase = name;
      started = now();
      total = 0;
    },
    rows(table, done) {
      total += table === lastTable ? done - lastDone : done;
      lastTable = table;
      lastDone = done;
      if (now() - drawnAt >= REDRAW_MS) {
        drawnAt = now();
        draw();
      }
    },
    end() {
      if (drawn) {
        draw();
        stream.write('\n');
      }
      drawn = false;
    },
  };
}
