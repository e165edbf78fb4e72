import type { RouteReport } from '../functions/route-report/index.js';
import { EXIT, type ExitCode } from './errors.js';
import type { ExecutionOutcome } from './executions.js';

type Action = {
  kind: string;
  routeTableId?: string;
  destination?: { value: string };
  instanceId?: string;
  networkInterfaceId?: string;
  allocationId?: string;
  before?: unknown;
  after?: unknown;
  outcome?: unknown;
};
type Health = { instanceId: string; verdict: string; reasons: string[] };
type Decision = { outcome: string; reason: string; activeBefore: string | null; activeAfter: string | null };

/** The route reconciler's report, if the output is one. */
export function routeReport(output: unknown): RouteReport | undefined {
  return output && typeof output === 'object' && 'result' in output && 'actions' in output
    ? (output as RouteReport)
    : undefined;
}

/** How an execution of a reconciler ended, as the CLI's exit code (see errors.ts). */
export function exitCodeOf(execution: ExecutionOutcome): ExitCode {
  if (execution.status !== 'SUCCEEDED') return EXIT.failed;
  const output = execution.output as
    | { result?: string; failure?: { Error?: string }; decision?: Decision | null; health?: Health[] | null }
    | undefined;
  // A plan says what the run would end as: judged by its decision and its blast radius.
  const result =
    output?.result === 'dry-run'
      ? (output as { blocked?: unknown }).blocked
        ? 'blocked'
        : output.decision?.outcome === 'refused' || output.decision?.outcome === 'no-healthy-member'
          ? output.decision.outcome
          : 'dry-run'
      : output?.result;
  // The lease stayed with another execution through every retry: the run ended as `busy`.
  if (result === 'busy' || output?.failure?.Error === 'LeaseHeldError') return EXIT.blocked;
  if (result === 'failed' || result === 'partial' || result === 'degraded') return EXIT.failed;
  if (result === 'no-healthy-member') return EXIT.noHealthyMember;
  if (result === 'refused') {
    // Refused for want of a healthy member to go to: that is "no healthy member", not a policy block.
    const others = (output?.health ?? []).filter(
      (h) => h.verdict === 'healthy' && h.instanceId !== output?.decision?.activeBefore,
    );
    return others.length === 0 ? EXIT.noHealthyMember : EXIT.blocked;
  }
  if (result === 'blocked' || output?.decision?.outcome === 'cooldown') return EXIT.blocked;
  return EXIT.done;
}

function target(value: unknown): string {
  if (!value || typeof value !== 'object') return String(value ?? 'none');
  const v = value as Record<string, unknown>;
  if ('target' in v) {
    const t = v.target as Record<string, string>;
    const where = t.networkInterfaceId ?? t.instanceId ?? t.gatewayId ?? t.transitGatewayId ?? 'none';
    return `${where} (${String(v.state ?? '')})`;
  }
  if ('networkInterfaceId' in v && v.networkInterfaceId) return `${v.networkInterfaceId} (${v.instanceId ?? ''})`;
  if ('sourceDestCheck' in v) return `source/dest check ${v.sourceDestCheck ? 'on' : 'off'}`;
  return JSON.stringify(value);
}

function actionLine(action: Action): string {
  const outcome =
    typeof action.outcome === 'string' ? action.outcome : ((action.outcome as { status?: string })?.status ?? '');
  const what =
    action.kind === 'replace-route' || action.kind === 'create-route'
      ? `${action.kind} ${action.routeTableId} ${action.destination?.value}`
      : action.kind === 'disable-source-dest-check'
        ? `${action.kind} ${action.networkInterfaceId} (${action.instanceId})`
        : `${action.kind} ${action.allocationId ?? ''}`;
  return `  ${what}: ${action.before === null ? 'missing' : target(action.before)} -> ${target(action.after)}${outcome ? `  [${outcome}]` : ''}`;
}

/** The route report in lines: decision and reason, health, each action with before and after, verification. */
export function renderRouteReport(report: RouteReport, limit?: number): string[] {
  const decision = report.decision as Decision | null;
  const lines = [`result: ${report.result}`];
  if (decision) {
    lines.push(`decision: ${decision.outcome}: ${decision.reason}`);
    lines.push(`active gateway: ${decision.activeBefore ?? 'none'} -> ${decision.activeAfter ?? 'none'}`);
  }
  for (const h of (report.health as Health[] | null) ?? []) {
    lines.push(`  ${h.instanceId} ${h.verdict}${h.reasons.length ? `: ${h.reasons.join('; ')}` : ''}`);
  }
  const actions = report.actions as Action[];
  const tables = new Set(actions.map((a) => a.routeTableId).filter(Boolean));
  lines.push(
    `actions: ${actions.length}${limit !== undefined ? ` (change limit ${limit})` : ''}; blast radius: ${tables.size} route ${tables.size === 1 ? 'table' : 'tables'}`,
  );
  for (const action of actions) lines.push(actionLine(action));
  const blocked = report.blocked as { changes: number; limit: number } | null;
  if (blocked) lines.push(`blocked: ${blocked.changes} changes over the limit of ${blocked.limit}`);
  const verification = report.verification;
  if (verification) {
    lines.push(
      `verification: ${
        verification.converged === true
          ? 'converged'
          : 'unconverged' in verification
            ? `${verification.unconverged.length} routes not converged`
            : `not verified: ${verification.error}`
      }`,
    );
  }
  if (report.failure) lines.push(`failure: ${report.failure.Error}: ${report.failure.Cause ?? ''}`.trimEnd());
  return lines;
}

/** A one-line summary of any reconciler's output (route or resolver), for history and follow. */
export function outcomeSummary(execution: ExecutionOutcome): string {
  if (execution.status !== 'SUCCEEDED') return `${execution.status}${execution.error ? ` ${execution.error}` : ''}`;
  const output = execution.output as { result?: string; decision?: Decision | null; reason?: string } | undefined;
  if (!output?.result) return execution.status;
  const reason = output.decision?.reason ? `: ${output.decision.reason}` : busyReason(output.reason);
  return `${output.result}${reason}`;
}

/** How many changes an execution applied, from its output's actions. */
export function appliedChanges(output: unknown): number {
  const actions = (output as { actions?: { outcome?: unknown }[] } | undefined)?.actions ?? [];
  return actions.filter((a) => {
    const status = typeof a.outcome === 'string' ? a.outcome : (a.outcome as { status?: string } | undefined)?.status;
    return status === 'applied';
  }).length;
}

/** The message of the error a `busy` run ended on (the lease held by another execution). */
function busyReason(reason: string | undefined): string {
  if (!reason) return '';
  try {
    const parsed = JSON.parse(reason) as { errorMessage?: string };
    return parsed.errorMessage ? `: ${parsed.errorMessage}` : '';
  } catch {
    return `: ${reason.split('\n')[0]}`;
  }
}
