import type { RequestRecord } from '../core/request-log.js';
import type { SimServer } from '../server.js';
import type { EventsService } from '../services/events.js';
import type { InvocationRecord, LambdaService } from '../services/lambda/service.js';
import type { SnsService } from '../services/sns.js';
import type { DrillWorld } from './world.js';

export interface ExecutionProgress {
  stateMachine: string;
  name: string;
  status: string;
  /** States entered since the last step, in order; retries and caught errors marked. */
  states: string[];
  /** The full history (only with --verbose). */
  history?: unknown[];
}

export interface TimelineEntry {
  at: string;
  step: string;
  events: { label: string; rules: string[] }[];
  executions: ExecutionProgress[];
  calls: { total: number; byAction: Record<string, number>; failed: number; throttled: number };
  changes: string[];
  notifications: string[];
  /** Functions a rule or schedule invoked directly (not through a state machine), with what they said. */
  functions: string[];
}

const MUTATING =
  /^(Create|Replace|Delete|Modify|Associate|Disassociate|Update|Put|Publish|Start|Stop|Attach|Detach|Allocate|Release|Run|Terminate|Tag|Untag)/;

/** Where the drill is in each log, so each step reports only what it caused. */
export class TimelineCursor {
  events = 0;
  deliveries = 0;
  requests = 0;
  notifications = 0;
  invocations = 0;
  /** History events already reported, per execution ARN. */
  seenHistory = new Map<string, number>();

  constructor(sim: SimServer) {
    this.skipTo(sim);
  }

  get executionCount(): number {
    return this.seenHistory.size;
  }

  skipTo(sim: SimServer): void {
    const events = sim.service<EventsService>('events');
    this.events = events.events.length;
    this.deliveries = events.deliveries.length;
    this.requests = sim.log.mark();
    this.notifications = sim.service<SnsService>('sns').published.length;
    this.invocations = sim.service<LambdaService>('lambda').invocations.length;
  }
}

/** A change made by the product, in the operator's words. */
function describeChange(world: DrillWorld, record: RequestRecord): string {
  const p = (record.params ?? {}) as Record<string, unknown>;
  const name = (id: unknown) => world.nameOf(typeof id === 'string' ? id : undefined) ?? String(id);
  const dest = p.DestinationCidrBlock ?? p.DestinationIpv6CidrBlock ?? p.DestinationPrefixListId;
  const target = p.NetworkInterfaceId ?? p.InstanceId ?? p.GatewayId ?? p.TransitGatewayId ?? p.VpcPeeringConnectionId;
  const failed = record.outcome === 'ok' ? '' : ` FAILED (${record.outcome.error})`;
  switch (`${record.service}:${record.action}`) {
    case 'ec2:ReplaceRoute':
    case 'ec2:CreateRoute':
      return `${record.action} ${name(p.RouteTableId)} ${String(dest)} -> ${name(target)}${failed}`;
    case 'ec2:ModifyNetworkInterfaceAttribute':
    case 'ec2:ModifyInstanceAttribute':
      return `${record.action} ${name(p.NetworkInterfaceId ?? p.InstanceId)} ${JSON.stringify(p.SourceDestCheck ?? '')}${failed}`;
    case 'ec2:AssociateAddress':
      return `AssociateAddress ${name(p.AllocationId)} -> ${name(p.InstanceId ?? p.NetworkInterfaceId)}${failed}`;
    case 'route53resolver:CreateResolverRule':
      return `CreateResolverRule ${String(p.DomainName)}${failed}`;
    case 'route53resolver:AssociateResolverRule':
    case 'route53resolver:DisassociateResolverRule':
      return `${record.action} ${String(p.ResolverRuleId)} ${name(p.VPCId)}${failed}`;
    default:
      return `${record.service}:${record.action}${failed}`;
  }
}

/** What a step caused: events and the rules they matched, executions and their states, calls and changes. */
export async function collectTimeline(
  world: DrillWorld,
  cursor: TimelineCursor,
  step: string,
  verbose: boolean,
): Promise<TimelineEntry> {
  const { sim } = world;
  const eventsService = sim.service<EventsService>('events');
  const newEvents = eventsService.events.slice(cursor.events);
  const deliveries = eventsService.deliveries.slice(cursor.deliveries);
  const requests = sim.log.all({ since: cursor.requests, product: true });
  const notifications = sim.service<SnsService>('sns').published.slice(cursor.notifications);
  const events = newEvents.map((e) => ({
    label: `${e.source} / ${e['detail-type']}`,
    rules: eventsService.matchingRules(e).map((r) => r.name),
  }));
  const executions: ExecutionProgress[] = [];
  for (const [logicalId, arn] of Object.entries(world.stack.physical)) {
    if (!arn.includes(':stateMachine:')) continue;
    const { executions: listed } = await world.call('sfn:ListExecutions', { stateMachineArn: arn });
    for (const execution of [...listed].reverse()) {
      const seen = cursor.seenHistory.get(execution.executionArn) ?? 0;
      const { events: history } = await world.call('sfn:GetExecutionHistory', {
        executionArn: execution.executionArn,
        maxResults: 1000,
      });
      if (history.length === seen && cursor.seenHistory.has(execution.executionArn)) continue;
      cursor.seenHistory.set(execution.executionArn, history.length);
      const states: string[] = [];
      for (const h of history.slice(seen) as {
        type: string;
        stateEnteredEventDetails?: { name: string };
        taskFailedEventDetails?: { error: string };
      }[]) {
        if (h.stateEnteredEventDetails && !/^(Map|Parallel)Iteration/.test(h.type))
          states.push(h.stateEnteredEventDetails.name);
        else if (h.type === 'TaskFailed' || h.type === 'LambdaFunctionFailed')
          states.push(`!${h.taskFailedEventDetails?.error ?? 'failed'}`);
      }
      executions.push({
        stateMachine: logicalId,
        name: execution.name,
        status: execution.status,
        states: collapse(states),
        ...(verbose ? { history } : {}),
      });
    }
  }
  const lambda = sim.service<LambdaService>('lambda');
  const invocations = lambda.invocations.slice(cursor.invocations);
  cursor.invocations = lambda.invocations.length;
  const direct = directTargets(world);
  const functions = invocations
    .filter((i) => direct.has(i.functionName))
    .map((i) => describeInvocation(world.stack.functionLogicalIds[i.functionName] ?? i.functionName, i.outcome));
  const byAction: Record<string, number> = {};
  for (const r of requests) byAction[`${r.service}:${r.action}`] = (byAction[`${r.service}:${r.action}`] ?? 0) + 1;
  const changes = requests
    .filter((r) => MUTATING.test(r.action) && !['dynamodb', 'events', 'sns', 'states', 'lambda'].includes(r.service))
    .map((r) => describeChange(world, r));
  cursor.events = eventsService.events.length;
  cursor.deliveries += deliveries.length;
  cursor.requests = sim.log.mark();
  cursor.notifications += notifications.length;
  return {
    at: sim.clock.iso(),
    step,
    events,
    executions,
    calls: {
      total: requests.length,
      byAction,
      failed: requests.filter((r) => r.outcome !== 'ok').length,
      throttled: requests.filter((r) => r.outcome !== 'ok' && /Throttl|RequestLimitExceeded/.test(r.outcome.error))
        .length,
    },
    changes,
    notifications: notifications.map((n) => n.subject ?? n.message.slice(0, 80)),
    functions,
  };
}

/** Names of the functions that rules and schedules invoke themselves. */
function directTargets(world: DrillWorld): Set<string> {
  return new Set(
    world.stack.rules.filter((r) => r.target.includes(':function:')).map((r) => r.target.split(':').pop()!),
  );
}

/** One invocation in a line: the probe's per-name verdicts, or whether it failed. */
function describeInvocation(logicalId: string, outcome: InvocationRecord['outcome']): string {
  if ('error' in outcome)
    return `${logicalId} failed: ${outcome.error.errorType}: ${outcome.error.errorMessage.slice(0, 120)}`;
  const result = outcome.result as { trigger?: { kind?: string }; names?: { name: string; verdict: string }[] } | null;
  if (!result?.names) return `${logicalId} ok`;
  return `${logicalId} (${result.trigger?.kind ?? '?'}): ${result.names.map((n) => `${n.name} ${n.verdict}`).join(', ')}`;
}

/** `A, B, B, B` becomes `A, B x3`: Map iterations would otherwise flood the line. */
function collapse(states: string[]): string[] {
  const out: string[] = [];
  for (const s of states) {
    const last = out.at(-1);
    const m = last ? /^(.*?)(?: x(\d+))?$/.exec(last) : null;
    if (m && m[1] === s) out[out.length - 1] = `${s} x${Number(m[2] ?? 1) + 1}`;
    else out.push(s);
  }
  return out;
}
