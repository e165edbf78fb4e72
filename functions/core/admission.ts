import type { IncomingAgentReport, StoredAgentReport } from './routes/agent-report.js';
import type { GroupRecord, RoutePlan } from './routes/types.js';

// What the route trigger decides before anything costs a Standard execution: whether a signal may
// change something (then the reconciler starts, under a name derived from the signal), or not
// (then nothing starts). Pure: the handler observes, these functions judge.

/** Step Functions execution names: 1 to 80 of letters, digits, `-` and `_`. */
const NAME_CHARS = /[^A-Za-z0-9_-]/g;
const MAX_NAME = 80;

/**
 * The execution name a signal starts the reconciler under. The same signal delivered twice gives the
 * same name, so the second StartExecution of a Standard state machine returns the running execution
 * or fails with ExecutionAlreadyExists: at-least-once delivery starts one execution.
 */
export function executionName(kind: string, id: string): string {
  const cleanKind = kind.replace(NAME_CHARS, '');
  const cleanId = id.replace(NAME_CHARS, '_');
  if (cleanKind === '' || cleanId === '') throw new RangeError(`cannot name an execution after '${kind}' / '${id}'`);
  return `${cleanKind}-${cleanId}`.slice(0, MAX_NAME);
}

/** A scheduled sweep's name: the minute it fires in, so a repeated delivery of one firing starts nothing more. */
export function sweepExecutionName(now: string): string {
  const minute = now.replace(/[^0-9]/g, '').slice(0, 12);
  if (minute.length !== 12) throw new RangeError(`'${now}' is not an ISO-8601 time`);
  return `sweep-${minute}`;
}

function tunnelsText(report: Pick<IncomingAgentReport, 'tunnels'>): string {
  return [...report.tunnels]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => `${t.name} ${t.status}`)
    .join(', ');
}

/**
 * What an accepted agent report changes, in words, or null when it changes nothing the reconciler
 * decides on: the same boot, the same tunnels and BGP as the gateway's previous report, which was
 * still fresh when this one arrived. A first report, a new boot, a changed tunnel or BGP state, or a
 * report after the previous one had gone stale (the gateway counted as unreported) all change something.
 */
export function reportChange(
  previous: StoredAgentReport | null,
  incoming: IncomingAgentReport,
  receivedAt: string,
  staleAfterSeconds: number,
): string | null {
  const who = incoming.instanceId;
  if (previous === null) return `first report of ${who}`;
  if (previous.bootId !== incoming.bootId) return `${who} booted again (boot ${incoming.bootId})`;
  const silentSeconds = (Date.parse(receivedAt) - Date.parse(previous.receivedAt)) / 1000;
  if (!(silentSeconds <= staleAfterSeconds)) {
    return `${who} reports again after ${Math.round(silentSeconds)} s, its previous report had gone stale`;
  }
  const before = tunnelsText(previous);
  const after = tunnelsText(incoming);
  if (before !== after) return `${who} tunnels ${before} -> ${after}`;
  if (previous.bgp !== incoming.bgp) return `${who} BGP ${previous.bgp} -> ${incoming.bgp}`;
  return null;
}

/** The fields of the group record the reconciler keeps; `updatedAt` and the lease are not decisions. */
function recordKey(record: GroupRecord): string {
  return JSON.stringify([
    record.activeInstanceId,
    record.lastSwitchAt,
    record.preferredHealthySince,
    record.pendingSoftFailure,
    record.primaryPath ?? null,
  ]);
}

/**
 * Why a sweep would change something, or null when a reconciler run would find nothing to do: the
 * active gateway stays (and so does the path), no action is planned or blocked, and the group record
 * it would store is the one stored. A decision that confirms, switches, waits out a cooldown, finds no
 * healthy member (the run raises the alarm) or refuses, is a reason to run.
 */
export function sweepChange(plan: RoutePlan, record: GroupRecord, nextRecord: GroupRecord): string | null {
  if (plan.decision.outcome !== 'unchanged') return `decision ${plan.decision.outcome}: ${plan.decision.reason}`;
  if (plan.path && plan.path.outcome !== 'unchanged') return `path ${plan.path.outcome}: ${plan.path.reason}`;
  if (plan.blocked) return 'the plan is over the blast radius';
  if (plan.actions.length > 0) return `${plan.actions.length} change(s) planned`;
  if ((plan.deferred ?? 0) > 0) return `${plan.deferred} change(s) deferred`;
  if (recordKey(record) !== recordKey(nextRecord)) return 'the group record changes';
  return null;
}
