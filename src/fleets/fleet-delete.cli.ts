import { cliFleetlessContext } from '../core/context.js';
import type { Deps } from '../deps.js';

function printResult(json: boolean, value: Record<string, unknown>, text: string) {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text + '\n');
}

/**
 * `fleet delete <id> [--purge]`. A purge also rotates the master key (src/fleets/fleet-purge.ts) and says what it
 * guarantees on this engine and which master keys the operator must now destroy.
 */
export async function deleteFleet(deps: Deps, fleetId: string, purge: boolean, json: boolean): Promise<void> {
  if (!purge) {
    const last = await deps.services.fleets.delete(cliFleetlessContext, fleetId, { purge: false });
    printResult(
      json,
      { id: fleetId, purged: false, last_seq: last?.lastSeq ?? null, last_hash: last?.lastHash ?? null },
      `deleted fleet ${fleetId} and its clients; its audit chain is kept`,
    );
    return;
  }
  const report = await deps.services.fleetPurge.purge(cliFleetlessContext, fleetId);
  if (report.wal_checkpointed === false) {
    process.stderr.write(
      'fleetvault: warning: the SQLite WAL could not be checkpointed (a reader is busy): its older page images may hold rows of ' +
        'the fleet until the next checkpoint\n',
    );
  }
  const lines = [
    `purged fleet ${fleetId}: its data key is destroyed and its rows deleted` +
      (report.last_seq === null
        ? ' (finishing an earlier purge)'
        : `; its audit chain ended at seq ${report.last_seq}, hash ${report.last_hash}`),
    `shred: ${report.shred}` +
      (report.shred === 'cryptographic'
        ? `; ${report.rewrapped_data_keys} data key(s) and ${report.rewrapped_vault_keys} vault key(s) re-wrapped under master key ` +
          `${report.active_master_key}`
        : ''),
    ...(report.retire_master_keys.length === 0 ? [] : [`destroy master key(s): ${report.retire_master_keys.join(', ')}`]),
    `notice: ${report.notice}`,
  ];
  printResult(json, { ...report }, lines.join('\n'));
}
