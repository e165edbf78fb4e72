import { observeEc2 } from '../adapters/ec2-routes.js';
import { startExecution } from '../adapters/executions.js';
import { groupMembers } from '../adapters/group-membership.js';
import { observeMixedPaths } from '../adapters/primary-path.js';
import { StateTable } from '../adapters/state-table.js';
import { instrumented, logger } from '../commons/powertools.js';
import { executionName, reportChange, sweepChange, sweepExecutionName } from '../core/admission.js';
import { configurationError } from '../core/config.js';
import { checkAgentReportTime } from '../core/routes/agent-report.js';
import { parseRouteEnvironment } from '../core/routes/config.js';
import { InvalidInputError } from '../core/routes/errors.js';
import { primaryPathSignalIgnored } from '../core/routes/primary-path.js';
import { reconcileRoutes } from '../core/routes/reconcile.js';
import type { RouteConfig } from '../core/routes/types.js';
import { describeTrigger, parseTrigger, type Trigger } from '../core/triggers.js';

/**
 * What the trigger did with one signal: started the reconciler, found it already started by an
 * earlier delivery of the same signal, or dropped the signal (not the group's, or it changes nothing).
 */
export interface TriggerOutcome {
  outcome: 'started' | 'already-started' | 'dropped';
  reason: string;
  execution?: string;
}

/** The admitted run's input: the reconciler's entry skips its own intake for it (see the ASL's `Entry`). */
interface AdmittedInput {
  admitted: { kind: string; eventId: string; summary: string };
}

/** The reconciler it starts: without it the trigger can do nothing, so a missing one fails at cold start. */
const stateMachineArn =
  process.env.ROUTE_STATE_MACHINE_ARN || throwConfiguration('ROUTE_STATE_MACHINE_ARN', 'is required');

function throwConfiguration(variable: string, message: string): never {
  throw configurationError(variable, message);
}

/**
 * The configuration and the state table, read at first use rather than at import: a bad configuration
 * must not stop the trigger from starting the reconciler, whose first state fails the run naming the
 * variable, as it always has.
 */
let wiring: { config: RouteConfig; stateTable: StateTable } | Error | undefined;
function routeWiring(): { config: RouteConfig; stateTable: StateTable } | Error {
  if (wiring === undefined) {
    try {
      const environment = parseRouteEnvironment(process.env);
      wiring = { config: environment.config, stateTable: new StateTable(environment.stateTable) };
    } catch (err) {
      wiring = err instanceof Error ? err : new Error(String(err));
    }
  }
  return wiring;
}

async function start(name: string | undefined, input: unknown, reason: string): Promise<TriggerOutcome> {
  const { alreadyStarted, executionArn } = await startExecution(stateMachineArn, name, input);
  if (alreadyStarted && name !== undefined) {
    logger.info('reconciler already started for this signal', { execution: name });
    return { outcome: 'already-started', reason: `${name} was started by an earlier delivery`, execution: name };
  }
  logger.info('reconciler started', { execution: name ?? executionArn, reason });
  return { outcome: 'started', reason, ...(name !== undefined ? { execution: name } : {}) };
}

function dropped(reason: string): TriggerOutcome {
  logger.info('signal dropped', { reason });
  return { outcome: 'dropped', reason };
}

function admitted(kind: string, eventId: string, summary: string): AdmittedInput {
  return { admitted: { kind, eventId, summary } };
}

/** The event's id when it looks like an EventBridge event, to name even a run that will fail on it. */
function rawEventId(event: unknown): string | undefined {
  const id = (event as { id?: unknown } | null)?.id;
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : undefined;
}

/**
 * Would a reconciler run change anything now? Observes as Decide does, read-only (no lease), and asks
 * the pure core. Returns why it would, or null.
 */
async function sweepFinding(
  group: string,
  cfg: RouteConfig,
  stateTable: StateTable,
  now: string,
): Promise<string | null> {
  const [stored, ec2, agentReports, mixedPaths] = await Promise.all([
    stateTable.readGroupRecord(group),
    observeEc2(cfg),
    stateTable.readAgentReports(group),
    observeMixedPaths(cfg),
  ]);
  const { updatedAt: _updatedAt, ...record } = stored;
  const { plan, nextRecord } = reconcileRoutes({ group, now, ...ec2, agentReports, record, ...mixedPaths }, cfg, {
    confirming: false,
    overrideBlastRadius: false,
  });
  return sweepChange(plan, record, nextRecord);
}

/** A sweep starts the reconciler only when it would change something; when in doubt, it starts it. */
async function sweep(
  { config: cfg, stateTable }: { config: RouteConfig; stateTable: StateTable },
  name: string,
  kind: string,
  summary: string,
  now: string,
) {
  let finding: string | null;
  try {
    finding = await sweepFinding(cfg.group, cfg, stateTable, now);
  } catch (err) {
    // An observation that failed is never read as "nothing to do": the run observes again, retrying.
    finding = `the check could not observe (${(err as Error).name}: ${(err as Error).message})`;
  }
  if (finding === null) return dropped(`${summary}: nothing to change`);
  return start(name, admitted(kind, name, `${summary}: ${finding}`), finding);
}

/**
 * The target of the route reconciler's EventBridge rules and sweep schedule, in front of its Standard
 * state machine. It drops what is not the group's (another instance's state change, another
 * instance's alarm), records agent reports (freshness, boot and sequence rules as before), and starts
 * the reconciler only when a signal may change something: a report that changes the gateway's state,
 * a signal about a member, a sweep that finds something to do. Each run is named after its signal.
 * Input it cannot judge (malformed, or a configuration the reconciler refuses) is handed to the
 * reconciler as it came, so that its run fails naming the field, as it always did.
 */
async function handle(event: unknown): Promise<TriggerOutcome> {
  const now = new Date().toISOString();
  const wired = routeWiring();
  const id = rawEventId(event);
  if (wired instanceof Error) {
    return start(id && executionName('signal', id), event, `configuration refused: ${wired.message}`);
  }
  const { config: cfg, stateTable } = wired;
  let trigger: Trigger;
  try {
    trigger = parseTrigger(event);
  } catch (err) {
    if (err instanceof InvalidInputError) return start(id && executionName('signal', id), event, err.message);
    throw err;
  }
  if (trigger.kind === 'manual') {
    // The schedule's input. Any other operation is an operator's, passed on as given.
    if (trigger.operation.operation !== 'sweep' || trigger.operation.dryRun)
      return start(undefined, event, 'operation');
    return sweep(wired, sweepExecutionName(now), 'schedule', 'periodic sweep', now);
  }
  const summary = describeTrigger(trigger);
  const name = executionName(trigger.kind, trigger.eventId);
  switch (trigger.kind) {
    case 'schedule':
      return sweep(wired, name, 'schedule', summary, now);
    case 'instance-state': {
      const members = await groupMembers([trigger.instanceId], cfg.group);
      if (members.length === 0) return dropped(`${trigger.instanceId} is not a member of group ${cfg.group}`);
      return start(name, admitted(trigger.kind, trigger.eventId, summary), summary);
    }
    case 'alarm': {
      // An alarm about instances concerns the group only through its members; one about a VPN
      // connection (AWS/VPN TunnelState) names no instance and still wakes the reconciler.
      if (trigger.instanceIds.length > 0) {
        const members = await groupMembers(trigger.instanceIds, cfg.group);
        if (members.length === 0) return dropped(`alarm ${trigger.alarmName} is about no member of group ${cfg.group}`);
      }
      return start(name, admitted(trigger.kind, trigger.eventId, summary), summary);
    }
    case 'primary-path': {
      const ignored = primaryPathSignalIgnored(trigger, cfg.primaryPath);
      if (ignored !== null) return dropped(ignored);
      return start(name, admitted(trigger.kind, trigger.eventId, summary), summary);
    }
    case 'agent-report': {
      if (trigger.report.group !== cfg.group) {
        return dropped(`report for group ${trigger.report.group}, not ${cfg.group}`);
      }
      try {
        // A report dated beyond the skew allowance: the reconciler's run fails naming the field, nothing recorded.
        checkAgentReportTime(trigger.report, now);
      } catch (err) {
        if (err instanceof InvalidInputError) return start(name, event, err.message);
        throw err;
      }
      const judgement = await stateTable.recordAgentReport(
        cfg.group,
        trigger.report,
        now,
        cfg.agentStaleAfterSeconds,
        cfg.agentStaleAfterSeconds * 10,
      );
      if (!judgement.accept) {
        const { previous } = judgement;
        const redelivered =
          previous !== null &&
          previous.bootId === trigger.report.bootId &&
          previous.sequence === trigger.report.sequence;
        if (redelivered) {
          // This very report is recorded: an earlier delivery recorded it and may have failed before
          // starting its run. Whether it changed something cannot be told any more, so the group is
          // checked as a sweep would, under this report's name (a run it started is not started again).
          return sweep(wired, name, trigger.kind, summary, now);
        }
        logger.warn('agent report ignored', { field: judgement.field, reason: judgement.reason });
        return dropped(`${judgement.field}: ${judgement.reason}`);
      }
      const change = reportChange(judgement.previous, trigger.report, now, cfg.agentStaleAfterSeconds);
      if (change === null) return dropped(`${summary}: the same as its previous report`);
      return start(name, admitted(trigger.kind, trigger.eventId, `${summary} (${change})`), change);
    }
    default:
      // A stack replacing a gateway, an AWS Health VPN event: the run observes what they announce.
      return start(name, admitted(trigger.kind, trigger.eventId, summary), summary);
  }
}

export const handler = instrumented(
  {
    group: () =>
      wiring instanceof Error || wiring === undefined ? (process.env.GROUP_NAME ?? '') : wiring.config.group,
  },
  handle,
);
