import { describe, expect, it } from 'vitest';
import { terminalProgress } from './progress.js';

function fakeStream(isTTY: boolean) {
  const written: string[] = [];
  return { stream: { isTTY, write: (chunk: string) => written.push(chunk) } as unknown as NodeJS.WriteStream, written };
}

describe('terminal progress', () => {
  it('writes nothing when stderr is not a terminal', () => {
    const { stream, written } = fakeStream(false);
    const progress = terminalProgress(stream, () => 0);
    progress.phase('backup');
    progress.rows('audit_events', 5000);
    progress.end();
    expect(written).toEqual([]);
  });

  it('shows the table, its rows, the total and the rate, redrawn at most every 200 ms, and ends the line', () => {
    const { stream, written } = fakeStream(true);
    let now = 0;
    const progress = terminalProgress(stream, () => now);
    progress.phase('restore');
    now = 1_000;
    progress.rows('credentials', 1000);
    now = 1_100;
    progress.rows('credentials', 1500);
    expect(written).toHaveLength(1);
    expect(written[0]).toBe('\r\x1b[Krestore: credentials 1000 rows, 1000 in all, 1000 rows/s');
    now = 2_000;
    progress.rows('audit_events', 2500);
    expect(written.at(-1)).toBe('\r\x1b[Krestore: audit_events 2500 rows, 4000 in all, 2000 rows/s');
    progress.end();
    expect(written.at(-1)).toBe('\n');
  });
});
