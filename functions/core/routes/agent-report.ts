import { InvalidInputError } from './errors.js';
import type { AgentReport, TunnelReport } from './types.js';

// What the product accepts from a gateway agent, judged without trusting the gateway's clock:
// reports are ordered by (boot, per-boot sequence number) and their freshness is counted from the
// moment the product received them. The agent's own `reportedAt` is only checked for sanity.

/** How far a gateway's clock may run ahead of the product's before its reports are refused. */
export const MAX_FUTURE_SKEW_SECONDS = 60;
/** Previous boots remembered per gateway, so a late report from one of them is recognised. */
export const RETIRED_BOOTS_KEPT = 16;

/** ISO-8601 in UTC as an agent sends it (`date -u +%Y-%m-%dT%H:%M:%SZ`, optionally with a fraction). */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Why `value` is not an ISO-8601 UTC instant, or null when it is one. */
export function isoUtcProblem(value: string): string | null {
  const match = ISO_UTC.exec(value);
  if (match === null) return `'${value}' is not an ISO-8601 UTC time (YYYY-MM-DDThh:mm:ss[.fff]Z)`;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const ms = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over into March: a rolled-over date is not a real one.
  if (
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month! - 1 ||
    back.getUTCDate() !== day ||
    back.getUTCHours() !== hour ||
    back.getUTCMinutes() !== minute ||
    back.getUTCSeconds() !== second
  ) {
    return `'${value}' is not a real UTC time`;
  }
  return null;
}

/** An agent report as the intake received it (the event's `detail`). */
export interface IncomingAgentReport {
  instanceId: string;
  tunnels: TunnelReport[];
  bgp: AgentReport['bgp'];
  reportedAt: string;
  /** Identity of the gateway's boot (the agent uses the kernel's boot_id). */
  bootId: string;
  /** Per-boot sequence number: starts again at 0 or 1 when the gateway boots. */
  sequence: number;
}

/** An agent report as the state table keeps it. */
export interface StoredAgentReport extends IncomingAgentReport {
  /** When the product received it: the only clock freshness is judged by. */
  receivedAt: string;
  /** Boots of this gateway that a newer boot replaced, most recent last. */
  retiredBoots: string[];
}

/** The verdict on one incoming report: the record to store, or why it is ignored (naming the field). */
export type AgentReportJudgement =
  | { accept: true; record: StoredAgentReport }
  | { accept: false; field: string; reason: string };

function ms(field: string, iso: string): number {
  const problem = isoUtcProblem(iso);
  if (problem !== null) throw new InvalidInputError(field, problem);
  return Date.parse(iso);
}

/**
 * Refuses a report the product cannot trust at all: `reportedAt` not ISO-8601 UTC, or further in
 * the future than the skew allowance (a gateway clock running ahead). InvalidInputError names the field.
 */
export function checkAgentReportTime(report: Pick<IncomingAgentReport, 'reportedAt'>, receivedAt: string): void {
  const reported = ms('detail.reportedAt', report.reportedAt);
  const received = ms('receivedAt', receivedAt);
  const aheadSeconds = (reported - received) / 1000;
  if (aheadSeconds > MAX_FUTURE_SKEW_SECONDS) {
    throw new InvalidInputError(
      'detail.reportedAt',
      `${report.reportedAt} is ${Math.round(aheadSeconds)} s ahead of the time it was received (${receivedAt}); the gateway's clock may run at most ${MAX_FUTURE_SKEW_SECONDS} s ahead`,
    );
  }
}

/**
 * Judges an incoming report against the one stored for the same gateway: a report of the same boot
 * must carry a higher sequence number, a report of a retired boot is late, and a report already
 * older than `staleAfterSeconds` when received is stale. An accepted report of a new boot retires
 * the stored one's boot. Throws InvalidInputError for a report `checkAgentReportTime` refuses.
 */
export function judgeAgentReport(
  incoming: IncomingAgentReport,
  stored: StoredAgentReport | null,
  receivedAt: string,
  staleAfterSeconds: number,
): AgentReportJudgement {
  checkAgentReportTime(incoming, receivedAt);
  const ageSeconds = (Date.parse(receivedAt) - Date.parse(incoming.reportedAt)) / 1000;
  if (ageSeconds > staleAfterSeconds) {
    return {
      accept: false,
      field: 'detail.reportedAt',
      reason: `report of ${incoming.instanceId} sent at ${incoming.reportedAt} was ${Math.round(ageSeconds)} s old when received, more than ${staleAfterSeconds} s`,
    };
  }
  let retiredBoots: string[] = [];
  if (stored !== null) {
    if (stored.bootId === incoming.bootId) {
      if (incoming.sequence <= stored.sequence) {
        const what = incoming.sequence === stored.sequence ? 'a duplicate of' : 'older than';
        return {
          accept: false,
          field: 'detail.sequence',
          reason: `report ${incoming.sequence} of ${incoming.instanceId} (boot ${incoming.bootId}) is ${what} the recorded report ${stored.sequence}`,
        };
      }
      retiredBoots = stored.retiredBoots;
    } else if (stored.retiredBoots.includes(incoming.bootId)) {
      return {
        accept: false,
        field: 'detail.bootId',
        reason: `report ${incoming.sequence} of ${incoming.instanceId} comes from boot ${incoming.bootId}, which boot ${stored.bootId} has replaced`,
      };
    } else {
      retiredBoots = [...stored.retiredBoots, stored.bootId].slice(-RETIRED_BOOTS_KEPT);
    }
  }
  return {
    accept: true,
    record: {
      instanceId: incoming.instanceId,
      tunnels: incoming.tunnels,
      bgp: incoming.bgp,
      reportedAt: incoming.reportedAt,
      bootId: incoming.bootId,
      sequence: incoming.sequence,
      receivedAt,
      retiredBoots,
    },
  };
}
