import type { FleetlessContext } from '../core/context.js';
import type { DataKeyRotation, RekeyProgress, RekeyResult } from './data-key-rotation.js';

/** Where progress goes: a bar redrawn on a terminal, JSON lines with --json, nothing else otherwise. */
export interface RekeyOutput {
  json: boolean;
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

const BAR_WIDTH = 30;

function bar(p: RekeyProgress): string {
  const share = p.total === 0 ? 1 : Math.min(1, p.resealed / p.total);
  const filled = Math.round(share * BAR_WIDTH);
  return `\r${p.fleet_id} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(share * 100)}% ${p.resealed}/${p.total}`;
}

/**
 * `keys rotate-data-key (--fleet <id> | --all) [--json]`: progress as it goes, then one summary
 * (a JSON line `{event: "done", …}` per fleet with --json). Returns the results.
 */
export async function runRekey(
  rotation: DataKeyRotation,
  context: FleetlessContext,
  target: { fleetId: string } | { all: true },
  out: RekeyOutput,
): Promise<RekeyResult[]> {
  const tty = out.stderr.isTTY === true && !out.json;
  const onProgress = (p: RekeyProgress) => {
    if (out.json) out.stdout.write(JSON.stringify({ event: 'progress', ...p }) + '\n');
    else if (tty) out.stderr.write(bar(p));
  };
  const report = (result: RekeyResult) => {
    if (out.json) out.stdout.write(JSON.stringify({ event: 'done', ...result }) + '\n');
    else {
      if (tty) out.stderr.write(bar(result) + '\n');
      out.stdout.write(
        `fleet ${result.fleet_id}: ${result.resealed} sealed value(s) re-sealed under data key ${result.data_key_id}` +
          `${result.resumed ? ' (finishing an interrupted rotation)' : ''}; destroyed ` +
          `${result.destroyed_data_key_ids.join(', ') || 'no key'}\n`,
      );
    }
  };
  if ('fleetId' in target) {
    const result = await rotation.rotateFleet(context, target.fleetId, onProgress);
    report(result);
    return [result];
  }
  const results = await rotation.rotateAll(context, (p) => onProgress(p));
  results.forEach(report);
  return results;
}
