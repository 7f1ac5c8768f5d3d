import type { Writable } from 'node:stream';
import type { ChainHead, ChainReport } from './audit-chain.js';
import type { AuditTrail } from './audit.service.js';

export const auditUsage = `  audit verify [--fleet <fleet id>] [--expect-head <seq>:<hash>] [--json]
                              exit 0 when every chain is intact, 1 naming the first bad seq
  audit export --fleet <fleet id> [--since <ISO time>]   the fleet's events as JSON lines`;

export class AuditUsageError extends Error {}

export interface AuditCommandOptions {
  fleet?: string | undefined;
  'expect-head'?: string | undefined;
  since?: string | undefined;
  json?: boolean | undefined;
}

function parseExpectedHead(text: string): ChainHead {
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{43})$/.exec(text);
  if (match === null) throw new AuditUsageError('--expect-head must be <seq>:<hash>, as GET /audit/head gives them');
  return { seq: Number(match[1]), hash: match[2]! };
}

const chainName = (report: ChainReport) => (report.fleet_id === null ? 'system chain' : `fleet ${report.fleet_id}`);

/**
 * `fleetvault audit verify|export`. Returns the process exit code: verify answers 1 when any
 * chain does not hold, naming its first bad seq and what was done to it.
 */
export async function runAuditCommand(
  audit: AuditTrail,
  sub: string | undefined,
  options: AuditCommandOptions,
  out: Writable,
): Promise<number> {
  if (sub === 'verify') {
    if (options['expect-head'] !== undefined && options.fleet === undefined) throw new AuditUsageError('--expect-head needs --fleet');
    const expectHead = options['expect-head'] === undefined ? undefined : parseExpectedHead(options['expect-head']);
    const reports = await audit.verify({ fleetId: options.fleet, expectHead });
    const intact = reports.every((r) => r.problem === undefined);
    if (options.json) {
      out.write(JSON.stringify({ intact, chains: reports }) + '\n');
    } else {
      for (const report of reports) {
        out.write(
          report.problem === undefined
            ? `${chainName(report)}: intact, ${report.events} event(s), head ${report.head.seq}:${report.head.hash}\n`
            : `${chainName(report)}: NOT intact at seq ${report.problem.seq} (${report.problem.kind}): ${report.problem.detail}\n`,
        );
      }
      if (reports.length === 0) out.write('no audit events yet\n');
    }
    return intact ? 0 : 1;
  }
  if (sub === 'export') {
    if (options.fleet === undefined) throw new AuditUsageError('audit export needs --fleet');
    let since: string | undefined;
    if (options.since !== undefined) {
      const time = Date.parse(options.since);
      if (!/^\d{4}-\d{2}-\d{2}/.test(options.since) || Number.isNaN(time)) throw new AuditUsageError('--since must be an ISO-8601 time');
      since = new Date(time).toISOString();
    }
    for await (const event of audit.export(options.fleet, since)) {
      if (!out.write(JSON.stringify(event) + '\n')) await new Promise((resolve) => out.once('drain', resolve));
    }
    return 0;
  }
  throw new AuditUsageError(`unknown command: audit ${sub ?? ''}\n${auditUsage}`);
}
