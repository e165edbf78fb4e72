import { groupMembers } from '../adapters/group-membership.js';
import { EVENT_MEMORY_SECONDS, routeConfig, stateTable } from '../adapters/route-context.js';
import { instrumented, logger } from '../commons/powertools.js';
import type { IntakeOutput, RouteRequest } from '../commons/route-state.js';
import { checkAgentReportTime } from '../core/routes/agent-report.js';
import { InvalidInputError } from '../core/routes/errors.js';
import { primaryPathSignalIgnored } from '../core/routes/primary-path.js';
import { describeOperation, describeTrigger, parseTrigger, type Trigger } from '../core/triggers.js';

const automatic: RouteRequest = { operation: null, dryRun: false, overrideBlastRadius: false };

function manualRequest(trigger: Extract<Trigger, { kind: 'manual' }>): RouteRequest {
  const op = trigger.operation;
  if (op.targetInstanceId && op.operation !== 'failover') {
    throw new InvalidInputError('targetInstanceId', `only a failover names a target instance, not a ${op.operation}`);
  }
  if (op.operation === 'reconcile') {
    throw new InvalidInputError(
      'operation',
      "'reconcile' is an operation of the resolver-rule reconciler; routes take repair, failover, failback or sweep",
    );
  }
  const base = { dryRun: op.dryRun, overrideBlastRadius: op.overrideBlastRadius };
  if (op.operation === 'sweep') return { ...base, operation: null };
  if (op.operation === 'failover') {
    return {
      ...base,
      operation: { kind: 'failover', ...(op.targetInstanceId ? { targetInstanceId: op.targetInstanceId } : {}) },
    };
  }
  return { ...base, operation: { kind: op.operation } };
}

/**
 * First state of the route reconciler: validates the input (a bad one fails the execution with
 * the field named, before any change), drops what is not ours or was already handled, and
 * records agent reports.
 */
const handle = async (event: { input: unknown }): Promise<IntakeOutput> => {
  const trigger = parseTrigger(event.input);
  const now = new Date().toISOString();
  if (trigger.kind === 'manual') {
    const request = manualRequest(trigger);
    return {
      request,
      ignored: null,
      round: 1,
      trigger: { kind: 'manual', summary: describeOperation(trigger.operation) },
    };
  }
  const base: IntakeOutput = {
    request: automatic,
    trigger: { kind: trigger.kind, eventId: trigger.eventId, summary: describeTrigger(trigger) },
    ignored: null,
    round: 1,
  };
  if (trigger.kind === 'agent-report' && trigger.report.group !== routeConfig.group) {
    return { ...base, ignored: `report for group ${trigger.report.group}, not ${routeConfig.group}` };
  }
  const primaryPathIgnored =
    trigger.kind === 'primary-path' ? primaryPathSignalIgnored(trigger, routeConfig.primaryPath) : null;
  if (primaryPathIgnored !== null) return { ...base, ignored: primaryPathIgnored };
  // A report dated beyond the skew allowance in the future is refused before anything is recorded.
  if (trigger.kind === 'agent-report') checkAgentReportTime(trigger.report, now);
  // Side by side: the replay record and the membership check (one round trip on the failover path).
  const [firstDelivery, member] = await Promise.all([
    stateTable.recordEventOnce(routeConfig.group, trigger.eventId, now, EVENT_MEMORY_SECONDS),
    trigger.kind === 'instance-state'
      ? groupMembers([trigger.instanceId], routeConfig.group).then((members) => members.length > 0)
      : true,
  ]);
  if (!firstDelivery) {
    logger.info('replayed event ignored', { eventId: trigger.eventId });
    return { ...base, ignored: `event ${trigger.eventId} was already handled` };
  }
  if (!member && trigger.kind === 'instance-state') {
    return { ...base, ignored: `${trigger.instanceId} is not a member of group ${routeConfig.group}` };
  }
  if (trigger.kind === 'agent-report') {
    const judgement = await stateTable.recordAgentReport(
      routeConfig.group,
      trigger.report,
      now,
      routeConfig.agentStaleAfterSeconds,
      routeConfig.agentStaleAfterSeconds * 10,
    );
    if (!judgement.accept) {
      logger.warn('agent report ignored', { field: judgement.field, reason: judgement.reason });
      return { ...base, ignored: `${judgement.field}: ${judgement.reason}` };
    }
  }
  return base;
};

export const handler = instrumented({ group: () => routeConfig.group }, handle);
