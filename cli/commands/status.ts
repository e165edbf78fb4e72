import { observeEc2 } from '../../functions/adapters/ec2-routes.js';
import { ItemLease } from '../../functions/adapters/lease.js';
import { observeResolverRules } from '../../functions/adapters/resolver-rules.js';
import { ResolverStateStore } from '../../functions/adapters/resolver-state.js';
import { StateTable } from '../../functions/adapters/state-table.js';
import { parseResolverConfig } from '../../functions/core/resolver-rules/index.js';
import { parseRouteConfig } from '../../functions/core/routes/config.js';
import { assessHealth } from '../../functions/core/routes/health.js';
import { classifyRoute, managedRouteSlots } from '../../functions/core/routes/managed-routes.js';
import type { RouteObservation } from '../../functions/core/routes/types.js';
import type { Command } from '../command.js';
import { CliError, EXIT } from '../errors.js';
import { noPositionals } from '../operations.js';
import { functionEnvironment, type Target } from '../target.js';

/** The route reconciler's function whose environment holds the group's configuration. */
const ROUTE_FUNCTION = 'RouteDecideFunction';
const RESOLVER_FUNCTION = 'ResolverDecideFunction';

/** Reads what the reconcilers read, with their own configuration, and judges it with the product's core. */
async function routeStatus(target: Target, now: number) {
  let config: ReturnType<typeof parseRouteConfig>;
  try {
    config = parseRouteConfig(await functionEnvironment(target, ROUTE_FUNCTION));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`the route reconciler's configuration is not valid: ${(err as Error).message}`, EXIT.usage);
  }
  const table = target.outputs.StateTableName;
  if (!table) throw new CliError(`stack ${target.stackName} has no StateTableName output`, EXIT.usage);
  const state = new StateTable(table);
  const [ec2, record, agentReports, lease] = await Promise.all([
    observeEc2(config),
    state.readGroupRecord(config.group),
    state.readAgentReports(config.group),
    new ItemLease(table, config.group, 'state', `group ${config.group}`).read(),
  ]);
  const nowIso = new Date(now).toISOString();
  const { updatedAt: _updatedAt, ...groupRecord } = record;
  const observation: RouteObservation = { group: config.group, now: nowIso, ...ec2, agentReports, record: groupRecord };
  const health = assessHealth(observation, config);
  const active = ec2.members.find((m) => m.instanceId === record.activeInstanceId);
  const activeEni = active?.primaryNetworkInterfaceId ?? null;
  const routes = managedRouteSlots(observation, config).map((slot) => ({
    routeTableId: slot.routeTableId,
    destination: slot.destination.value,
    state: slot.tableObserved ? (slot.route?.state ?? 'missing') : 'table-not-found',
    target:
      slot.route?.target.networkInterfaceId ??
      slot.route?.target.instanceId ??
      slot.route?.target.gatewayId ??
      slot.route?.target.transitGatewayId ??
      null,
    problem: slot.tableObserved && activeEni ? classifyRoute(slot.route, activeEni, observation) : null,
  }));
  const leaseExpires = typeof lease?.leaseExpiresAt === 'number' ? lease.leaseExpiresAt * 1000 : undefined;
  const leaseHolder =
    typeof lease?.leaseOwner === 'string' && leaseExpires !== undefined && leaseExpires >= now
      ? { owner: lease.leaseOwner, expiresAt: new Date(leaseExpires).toISOString() }
      : null;
  return {
    group: config.group,
    observedAt: nowIso,
    activeInstanceId: record.activeInstanceId,
    lastSwitchAt: record.lastSwitchAt,
    pendingSoftFailure: record.pendingSoftFailure,
    lease: leaseHolder,
    members: health.map((h) => {
      const member = ec2.members.find((m) => m.instanceId === h.instanceId)!;
      const report = agentReports.find((r) => r.instanceId === h.instanceId);
      return {
        instanceId: h.instanceId,
        state: member.state,
        priority: h.priority,
        verdict: h.verdict,
        reasons: h.reasons,
        active: h.instanceId === record.activeInstanceId,
        networkInterfaceId: member.primaryNetworkInterfaceId,
        agentReport: report
          ? {
              reportedAt: report.reportedAt,
              ageSeconds: Math.round((now - Date.parse(report.reportedAt)) / 1000),
              tunnels: report.tunnels,
              bgp: report.bgp,
            }
          : null,
      };
    }),
    routes,
  };
}

async function resolverStatus(target: Target) {
  if (!target.outputs.ResolverReconcilerArn || !target.resources[RESOLVER_FUNCTION]) return null;
  const config = parseResolverConfig(await functionEnvironment(target, RESOLVER_FUNCTION));
  const store = new ResolverStateStore(target.outputs.StateTableName!, config.groupName);
  const [observed, history] = await Promise.all([observeResolverRules(config), store.readHistory()]);
  return {
    trackedNames: config.trackedNames.map((name) => ({ name, chain: history.lastKnownChains[name] ?? null })),
    staticDomains: config.staticDomains,
    rules: observed.observedRules
      .filter((r) => r.managed)
      .map((r) => ({
        id: r.id,
        domainName: r.domainName,
        status: r.status,
        targets: r.targetIps.map((t) => `${t.ip}:${t.port}`),
        associatedVpcs: r.associations.map((a) => `${a.vpcId} (${a.status})`),
      })),
  };
}

function render(status: Awaited<ReturnType<typeof routeStatus>>, resolver: Awaited<ReturnType<typeof resolverStatus>>) {
  const lines = [
    `group ${status.group} at ${status.observedAt}`,
    `active gateway: ${status.activeInstanceId ?? 'none'}; last switch: ${status.lastSwitchAt ?? 'never'}`,
    `lease: ${status.lease ? `held by ${status.lease.owner.split(':').pop()} until ${status.lease.expiresAt}` : 'free'}`,
    ...(status.pendingSoftFailure
      ? [
          `soft failure of ${status.pendingSoftFailure.instanceId} awaiting confirmation since ${status.pendingSoftFailure.firstSeenAt}`,
        ]
      : []),
    'members:',
  ];
  for (const m of status.members) {
    const report = m.agentReport
      ? `agent report ${m.agentReport.ageSeconds} s old (tunnels ${m.agentReport.tunnels.map((t) => `${t.name} ${t.status}`).join(', ')}; bgp ${m.agentReport.bgp})`
      : 'no agent report';
    lines.push(
      `  ${m.active ? '*' : ' '} ${m.instanceId} ${m.state} priority ${m.priority ?? '-'}: ${m.verdict}${m.reasons.length ? ` (${m.reasons.join('; ')})` : ''}; ${report}`,
    );
  }
  lines.push('managed routes:');
  if (status.routes.length === 0) lines.push('  none');
  for (const r of status.routes)
    lines.push(
      `  ${r.routeTableId} ${r.destination} -> ${r.target ?? 'none'} ${r.state}${r.problem ? ` (${r.problem})` : ''}`,
    );
  if (resolver) {
    lines.push('resolver rules:');
    for (const n of resolver.trackedNames)
      lines.push(`  ${n.name}: ${n.chain ? n.chain.join(' -> ') : 'not resolved yet'}`);
    for (const r of resolver.rules)
      lines.push(
        `  ${r.id} ${r.domainName} -> ${r.targets.join(', ')} ${r.status}; VPCs ${r.associatedVpcs.join(', ') || 'none'}`,
      );
    if (resolver.rules.length === 0) lines.push('  no managed rules');
  }
  return lines.join('\n');
}

export const status: Command<Record<string, never>> = {
  words: ['status'],
  summary:
    "The group's members with their health and reasons, agent report age, the active gateway, last switch, lease, managed routes, resolver rules.",
  flags: {},
  parse(args) {
    noPositionals(args, 'status');
    return {};
  },
  async run(_input, ctx) {
    const target = await ctx.target();
    const now = await ctx.now();
    const [routes, resolver] = await Promise.all([routeStatus(target, now), resolverStatus(target)]);
    const healthy = routes.members.filter((m) => m.verdict === 'healthy').length;
    return {
      json: { stack: target.stackName, ...routes, resolver },
      text: render(routes, resolver),
      // No healthy member is the one state worth a non-zero exit for a status check.
      code: healthy === 0 ? EXIT.noHealthyMember : EXIT.done,
    };
  },
};
