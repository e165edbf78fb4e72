import type { EventsService } from '../services/events.js';
import type { LambdaService } from '../services/lambda/service.js';
import type { SnsService } from '../services/sns.js';
import { wasRaised } from './alarms.js';
import type { Count, Expectation } from './scenario.js';
import type { DrillWorld } from './world.js';

export interface ExpectationResult {
  ok: boolean;
  /** What was expected, in words. */
  expected: string;
  /** What was found, in words. */
  actual: string;
}

export interface ExpectationContext {
  world: DrillWorld;
  /** Request-log mark taken after the topology was built: calls before it are the drill's set-up. */
  since: number;
  /** Routes of each table as they were right after the topology was built. */
  initialRoutes: Record<string, unknown[]>;
}

function countOk(count: Count, n: number): boolean {
  if (typeof count === 'number') return n === count;
  return (count.min === undefined || n >= count.min) && (count.max === undefined || n <= count.max);
}

function countText(count: Count): string {
  if (typeof count === 'number') return `${count}`;
  return [count.min !== undefined ? `at least ${count.min}` : '', count.max !== undefined ? `at most ${count.max}` : '']
    .filter(Boolean)
    .join(' and ');
}

/** Reads `$.a.b[0]` style paths. */
function readPath(value: unknown, path: string): unknown {
  const parts = path.replace(/^\$\.?/, '').match(/[^.[\]]+/g) ?? [];
  let node = value;
  for (const part of parts)
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined;
  return node;
}

/** The per-name verdicts of every successful run of the reachability probe, oldest first. */
export function probeRuns(world: DrillWorld): { name: string; verdict: string }[][] {
  const lambda = world.sim.service<LambdaService>('lambda');
  const logicalIds = world.stack.functionLogicalIds;
  return lambda.invocations
    .filter((i) => logicalIds[i.functionName] === 'ReachabilityProbeFunction' && 'result' in i.outcome)
    .map((i) => (i.outcome as { result: { names?: { name: string; verdict: string }[] } }).result.names ?? []);
}

/** Checks one expectation against the account as it is now, through the AWS APIs. */
export async function checkExpectation(exp: Expectation, ctx: ExpectationContext): Promise<ExpectationResult> {
  const { world } = ctx;
  if ('route' in exp) {
    const e = exp.route;
    const route = await world.route(e.table, e.destination);
    const label = `route ${e.table} ${e.destination}`;
    if (e.absent) return { ok: !route, expected: `${label} absent`, actual: route ? 'present' : 'absent' };
    if (!route) return { ok: false, expected: `${label} present`, actual: 'no such route' };
    const problems: string[] = [];
    if (e.state && route.State !== e.state) problems.push(`state ${route.State}`);
    if (e.target?.eniOf && route.NetworkInterfaceId !== world.ref('eni', e.target.eniOf)) problems.push('other ENI');
    if (e.target?.instance && route.InstanceId !== world.ref('instance', e.target.instance))
      problems.push('other instance');
    const pathTarget = e.target && !e.target.eniOf && !e.target.instance ? world.expectedTarget(e.target) : {};
    for (const [field, id] of Object.entries(pathTarget)) if (route[field] !== id) problems.push(`other ${field}`);
    const actual = `${route.State} -> ${world.nameOf(
      route.NetworkInterfaceId ??
        route.InstanceId ??
        route.GatewayId ??
        route.TransitGatewayId ??
        route.VpcPeeringConnectionId,
    )}`;
    const wanted = [
      e.state,
      e.target?.eniOf
        ? `eni:${e.target.eniOf}`
        : e.target?.instance
          ? `instance:${e.target.instance}`
          : Object.values(pathTarget).map((id) => world.nameOf(id))[0],
    ]
      .filter(Boolean)
      .join(' -> ');
    return { ok: problems.length === 0, expected: `${label} ${wanted}`, actual };
  }
  if ('routesUnchanged' in exp) {
    const e = exp.routesUnchanged;
    const { RouteTables } = await world.call('ec2:DescribeRouteTables', {
      RouteTableIds: [world.ref('routeTable', e.table)],
    });
    const pick = (routes: unknown[]) =>
      JSON.stringify(
        (routes as Record<string, string>[])
          .filter(
            (r) =>
              !e.destination ||
              r.DestinationCidrBlock === e.destination ||
              r.DestinationIpv6CidrBlock === e.destination,
          )
          .map(({ State: _s, ...r }) => r),
      );
    const now = pick(RouteTables[0].Routes);
    const before = pick(ctx.initialRoutes[e.table] ?? []);
    return {
      ok: now === before,
      expected: `routes of ${e.table}${e.destination ? ` to ${e.destination}` : ''} as set up`,
      actual: now === before ? 'unchanged' : `changed: ${now}`,
    };
  }
  if ('sourceDestCheck' in exp) {
    const e = exp.sourceDestCheck;
    // Read where the product writes it and where EC2 applies it: the instance's primary network
    // interface. On EC2 the instance attribute of a one-ENI instance is that ENI's (the sim agrees);
    // other endpoints (moto) keep the two apart, so the instance attribute would not show the change.
    const result = await world.call('ec2:DescribeNetworkInterfaceAttribute', {
      NetworkInterfaceId: world.ref('eni', e.instance),
      Attribute: 'sourceDestCheck',
    });
    const enabled = result.SourceDestCheck?.Value;
    return {
      ok: enabled === e.enabled,
      expected: `source/dest check on ${e.instance} ${e.enabled ? 'on' : 'off'}`,
      actual: enabled ? 'on' : 'off',
    };
  }
  if ('elasticIp' in exp) {
    const e = exp.elasticIp;
    const { Addresses } = await world.call('ec2:DescribeAddresses', { AllocationIds: [world.ref('eip', e.name)] });
    const instanceId = Addresses[0]?.InstanceId;
    const wanted = e.instance ? world.ref('instance', e.instance) : undefined;
    return {
      ok: instanceId === wanted,
      expected: `EIP ${e.name} on ${e.instance ?? 'nothing'}`,
      actual: world.nameOf(instanceId) ?? 'nothing',
    };
  }
  if ('executions' in exp) {
    const e = exp.executions;
    const executions = await listExecutions(world, e.stateMachine);
    const matching = executions.filter((x) => !e.status || x.status === e.status);
    return {
      ok: countOk(e.count, matching.length),
      expected: `${countText(e.count)} ${e.status ?? ''} executions of ${e.stateMachine}`.replace(/\s+/g, ' '),
      actual: `${matching.length} (${executions.map((x) => x.status).join(', ') || 'none'})`,
    };
  }
  if ('lastOutput' in exp) {
    const e = exp.lastOutput;
    const executions = await listExecutions(world, e.stateMachine);
    const last = e.execution ? executions.find((x) => x.name === e.execution) : executions[0];
    if (!last)
      return { ok: false, expected: `an execution ${e.execution ?? ''} of ${e.stateMachine}`.trim(), actual: 'none' };
    const described = await world.call('sfn:DescribeExecution', { executionArn: last.executionArn });
    const document = described.output
      ? JSON.parse(described.output)
      : { error: described.error, cause: described.cause };
    const value = readPath(document, e.path);
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const ok =
      (e.equals === undefined || JSON.stringify(value) === JSON.stringify(e.equals)) &&
      (e.contains === undefined || String(text).includes(e.contains));
    return {
      ok,
      expected: `${e.path} of the last ${e.stateMachine} ${e.equals !== undefined ? `= ${JSON.stringify(e.equals)}` : `contains ${e.contains}`}`,
      actual: String(text),
    };
  }
  if ('notifications' in exp) {
    const e = exp.notifications;
    const published = publishedMessages(world).filter(
      (m) => !e.contains || `${m.subject ?? ''} ${m.message}`.includes(e.contains),
    );
    return {
      ok: countOk(e.count, published.length),
      expected: `${countText(e.count)} notifications${e.contains ? ` mentioning "${e.contains}"` : ''}`,
      actual: `${published.length}`,
    };
  }
  if ('events' in exp) {
    const e = exp.events;
    const events = world.sim
      .service<EventsService>('events')
      .events.filter(
        (x) => x['detail-type'] === e.detailType && (!e.contains || JSON.stringify(x.detail).includes(e.contains)),
      );
    return {
      ok: countOk(e.count, events.length),
      expected: `${countText(e.count)} "${e.detailType}" events${e.contains ? ` with "${e.contains}"` : ''}`,
      actual: `${events.length}`,
    };
  }
  if ('calls' in exp) {
    const e = exp.calls;
    const [service, action] = e.action.split(':');
    const calls = world.sim.log
      .all({ since: ctx.since, product: true, ...(service ? { service } : {}), ...(action ? { action } : {}) })
      .filter((r) => e.failed === undefined || (r.outcome !== 'ok') === e.failed)
      .filter(
        (r) =>
          e.stateMachine === undefined ||
          (r.params as { stateMachineArn?: unknown } | null)?.stateMachineArn === world.stateMachineArn(e.stateMachine),
      );
    return {
      ok: countOk(e.count, calls.length),
      expected: `${countText(e.count)} ${e.failed === undefined ? '' : e.failed ? 'failed ' : 'successful '}${e.action} calls by the product${e.stateMachine ? ` to ${e.stateMachine}` : ''}`,
      actual: `${calls.length}`,
    };
  }
  if ('resolverRule' in exp) {
    const e = exp.resolverRule;
    const domain = `${e.domain.toLowerCase().replace(/\.$/, '')}.`;
    const { ResolverRules } = await world.call('route53resolver:ListResolverRules', {
      Filters: [{ Name: 'DomainName', Values: [domain] }],
    });
    const rules = ResolverRules as { Id: string; Arn: string }[];
    const found: { id: string; managed: boolean; vpcs: string[] }[] = [];
    for (const rule of rules) {
      const { Tags } = await world.call('route53resolver:ListTagsForResource', { ResourceArn: rule.Arn });
      const managed = (Tags as { Key: string }[]).some((t) => t.Key.startsWith('cgw-autopilot:'));
      const { ResolverRuleAssociations } = await world.call('route53resolver:ListResolverRuleAssociations', {
        Filters: [{ Name: 'ResolverRuleId', Values: [rule.Id] }],
      });
      found.push({
        id: rule.Id,
        managed,
        vpcs: (ResolverRuleAssociations as { VPCId: string }[]).map((a) => world.nameOf(a.VPCId)!.replace(/^vpc:/, '')),
      });
    }
    const relevant = found.filter((r) => e.managed === undefined || r.managed === e.managed);
    const actual = relevant.length
      ? relevant.map((r) => `${r.managed ? 'managed' : 'unmanaged'} rule in ${r.vpcs.join('+') || 'no VPC'}`).join('; ')
      : 'no rule';
    if (!e.exists)
      return {
        ok: relevant.length === 0,
        expected: `no ${e.managed === undefined ? '' : e.managed ? 'managed ' : 'unmanaged '}rule for ${e.domain}`,
        actual,
      };
    const ok =
      relevant.length === 1 &&
      (!e.associatedWith ||
        JSON.stringify([...relevant[0]!.vpcs].sort()) === JSON.stringify([...e.associatedWith].sort()));
    return {
      ok,
      expected: `one ${e.managed === false ? 'unmanaged' : e.managed ? 'managed' : ''} rule for ${e.domain}${e.associatedWith ? ` in ${e.associatedWith.join('+')}` : ''}`,
      actual,
    };
  }
  if ('metric' in exp) {
    const e = exp.metric;
    const values = world.sim.service<LambdaService>('lambda').metrics.filter((m) => m.name === e.name);
    const sum = values.reduce((a, m) => a + m.value, 0);
    return {
      ok: countOk(e.sum, sum),
      expected: `metric ${e.name} summing to ${countText(e.sum)}`,
      actual: `${sum} over ${values.length} datapoints`,
    };
  }
  if ('alarm' in exp) {
    const e = exp.alarm;
    const alarm = world.stack.alarms[e.name];
    if (!alarm) return { ok: false, expected: `alarm ${e.name}`, actual: `template.yaml has no alarm ${e.name}` };
    const raised = wasRaised(alarm, world.sim.service<LambdaService>('lambda').metrics);
    return {
      ok: raised === e.raised,
      expected: `alarm ${e.name} ${e.raised ? 'raised' : 'never raised'}`,
      actual: raised ? 'raised' : 'never raised',
    };
  }
  if ('probe' in exp) {
    const e = exp.probe;
    const runs = probeRuns(world);
    const verdicts = runs.map((names) => names.find((n) => n.name === e.name)?.verdict);
    const last = verdicts.at(-1);
    const reported = verdicts.filter((v) => v === e.verdict).length;
    // With `reported`, how many runs gave the verdict; without it, the last run's verdict.
    const ok = e.reported === undefined ? last === e.verdict : countOk(e.reported, reported);
    return {
      ok,
      expected:
        e.reported === undefined
          ? `probe: ${e.name} ${e.verdict} in the last run`
          : `probe: ${countText(e.reported)} runs saying ${e.name} ${e.verdict}`,
      actual: `${runs.length} runs, last ${last ?? 'none'}, ${reported} saying ${e.verdict} (${verdicts.join(', ')})`,
    };
  }
  const unmatched = world.sim.service<EventsService>('events').unmatched.length;
  return {
    ok: countOk(exp.unmatchedEvents, unmatched),
    expected: `${countText(exp.unmatchedEvents)} events matching no rule`,
    actual: `${unmatched}`,
  };
}

async function listExecutions(
  world: DrillWorld,
  stateMachine: string,
): Promise<{ executionArn: string; name: string; status: string }[]> {
  const out: { executionArn: string; name: string; status: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await world.call('sfn:ListExecutions', {
      stateMachineArn: world.stateMachineArn(stateMachine),
      ...(nextToken ? { nextToken } : {}),
    });
    out.push(...page.executions);
    nextToken = page.nextToken;
  } while (nextToken);
  return out;
}

/**
 * What was published to SNS: the simulated topic's record, or, when SNS is served by another endpoint
 * (where messages cannot be read back), the Publish requests the product sent there, as logged here.
 */
function publishedMessages(world: DrillWorld): { subject?: string | undefined; message: string }[] {
  if (!world.sim.upstreamServices.includes('sns')) return world.sim.service<SnsService>('sns').published;
  return world.sim.log
    .all({ service: 'sns' })
    .filter((r) => r.action === 'Publish' && r.outcome === 'ok')
    .map((r) => {
      const params = r.params as { Subject?: string; Message?: string };
      return { subject: params.Subject, message: params.Message ?? '' };
    });
}
