import { describe, expect, it } from 'vitest';
import { cliFleetlessContext } from '../core/context.js';
import type { DataKeyRotation, RekeyProgress, RekeyResult } from './data-key-rotation.js';
import { runRekey } from './rekey.cli.js';

/** A rotation that reports two batches of a 10-row fleet, as the real one reports after each commit. */
function stubRotation(): DataKeyRotation {
  const result = (fleet: string): RekeyResult => ({
    fleet_id: fleet,
    data_key_id: 'K2',
    resealed: 10,
    total: 10,
    destroyed_data_key_ids: ['K1'],
    resumed: false,
  });
  const rotateFleet = async (_context: unknown, fleetId: string, onProgress: (p: RekeyProgress) => void) => {
    for (const resealed of [0, 5, 10]) onProgress({ fleet_id: fleetId, data_key_id: 'K2', resealed, total: 10 });
    return result(fleetId);
  };
  return {
    rotateFleet,
    rotateAll: async (context, onProgress) => [await rotateFleet(context, 'F1', onProgress), await rotateFleet(context, 'F2', onProgress)],
  } as DataKeyRotation;
}

function sink(isTTY: boolean) {
  const out = { text: '', write: (chunk: string) => (out.text += chunk), isTTY };
  return out;
}

describe('keys rotate-data-key output', () => {
  it('draws a progress bar on a terminal and prints one summary line', async () => {
    const stdout = sink(false);
    const stderr = sink(true);
    await runRekey(stubRotation(), cliFleetlessContext, { fleetId: 'F1' }, { json: false, stdout, stderr });
    expect(stderr.text).toContain('\rF1 [' + '.'.repeat(30) + '] 0% 0/10');
    expect(stderr.text).toContain('\rF1 [' + '#'.repeat(15) + '.'.repeat(15) + '] 50% 5/10');
    expect(stderr.text.endsWith('] 100% 10/10\n')).toBe(true);
    expect(stdout.text).toBe('fleet F1: 10 sealed value(s) re-sealed under data key K2; destroyed K1\n');
  });

  it('writes JSON lines with --json (progress, then done per fleet) and no bar', async () => {
    const stdout = sink(false);
    const stderr = sink(true);
    await runRekey(stubRotation(), cliFleetlessContext, { all: true }, { json: true, stdout, stderr });
    const lines = stdout.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string; fleet_id: string });
    expect(lines.map((l) => `${l.event} ${l.fleet_id}`)).toEqual([
      'progress F1',
      'progress F1',
      'progress F1',
      'progress F2',
      'progress F2',
      'progress F2',
      'done F1',
      'done F2',
    ]);
    expect(stderr.text).toBe('');
  });

  it('draws no bar when stderr is not a terminal', async () => {
    const stderr = sink(false);
    await runRekey(stubRotation(), cliFleetlessContext, { fleetId: 'F1' }, { json: false, stdout: sink(false), stderr });
    expect(stderr.text).toBe('');
  });
});
