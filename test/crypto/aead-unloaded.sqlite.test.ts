import { describe, expect, it } from 'vitest';
import { runTsScript } from '../helpers/run-process.js';

/**
 * A CLI command that forgot to await libsodium must fail as the ordering bug it is, not as a value that does not
 * authenticate (which reads as "wrong master key"). Runs in a process of its own: inside a test worker another file
 * may already have loaded the module, and whether it has would depend on timing.
 */
describe('AEAD before libsodium has loaded', () => {
  it('refuses to open or seal with an error that names the cause, not an IntegrityError, and works once loaded', async () => {
    const run = await runTsScript('test/crypto/open-before-ready.ts', [], {});
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as {
      beforeReady: Record<'open' | 'seal', { message: string; integrityError: boolean } | null>;
      roundTrip: string;
    };
    expect(report.beforeReady.open).toEqual({ message: expect.stringMatching(/libsodium is not loaded yet/), integrityError: false });
    expect(report.beforeReady.seal).toEqual({ message: expect.stringMatching(/libsodium is not loaded yet/), integrityError: false });
    expect(report.roundTrip).toBe('x');
  });
});
