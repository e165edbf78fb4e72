import { readChains } from './chains.js';
import { findConflicts } from './conflicts.js';
import { desiredRules, wantedDomains } from './desired.js';
import { graceExpired, nextResolverHistory, parseTime } from './history.js';
import { actionId } from './identity.js';
import { coveredVpcIds, forwardsAs, liveManagedRulesByDomain } from './observed.js';
import { compareText } from './order.js';
import type {
  BlastRadiusBlock,
  DesiredResolverRule,
  ObservedResolverRule,
  ResolverRuleAction,
  ResolverRulePlan,
  ResolverRulePlanInput,
  ResolverRuleProblem,
} from './types.js';

const ACTION_ORDER: Record<ResolverRuleAction['kind'], number> = {
  'create-rule': 0,
  'associate-rule': 1,
  'update-rule-targets': 2,
  'disassociate-rule': 3,
  'delete-rule': 4,
};

/**
 * Decides what to change so the group has exactly one managed FORWARD rule per wanted name, associated
 * with every configured VPC, and what to retire. Pure: everything comes from the input, `now` included.
 */
export function planResolverRules(input: ResolverRulePlanInput): ResolverRulePlan {
  const { config, history, now } = input;
  const nowMs = parseTime(now);
  if (nowMs === undefined) throw new RangeError(`now is not an ISO 8601 time: ${now}`);

  const view = readChains(config, input.resolutions, history);
  const wanted = wantedDomains(config, view);
  const conflicts = findConflicts(
    new Set(wanted.keys()),
    config.vpcIds,
    input.observedRules,
    input.unmanagedAssociations,
  );
  const desired = desiredRules(config, wanted, conflicts);
  const managed = liveManagedRulesByDomain(input.observedRules);

  const actions: ResolverRuleAction[] = [];
  const problems: ResolverRuleProblem[] = [...view.problems];
  for (const rule of desired) {
    const rules = managed.get(rule.domainName) ?? [];
    if (rules.length === 0) actions.push(...createActions(rule));
    else {
      const converged = convergeActions(rule, rules);
      actions.push(...converged.actions);
      if (converged.problem) problems.push(converged.problem);
    }
  }
  for (const [domainName, rules] of managed) {
    const retirable =
      !wanted.has(domainName) &&
      !view.frozen.has(domainName) &&
      graceExpired(history, domainName, nowMs, config.gracePeriodSeconds);
    if (retirable) for (const rule of rules) actions.push(...retireActions(rule, 'retired'));
  }
  actions.sort((a, b) => ACTION_ORDER[a.kind] - ACTION_ORDER[b.kind] || compareText(a.actionId, b.actionId));

  return {
    plannedAt: now,
    actions,
    conflicts,
    problems,
    degraded: view.unresolved.length > 0,
    unresolvedNames: view.unresolved,
    blocked: blastRadius(actions.length, config.maxChangesPerRun, input.override === true),
    nextHistory: nextResolverHistory(config, view, history, new Set(wanted.keys()), new Set(managed.keys()), now),
    desired,
  };
}

function blastRadius(changes: number, limit: number, override: boolean): BlastRadiusBlock | null {
  if (override || changes <= limit) return null;
  return {
    reason: `the plan changes ${changes} resources, more than the limit of ${limit}: run it by hand with the override`,
    changes,
    limit,
  };
}

function createActions(rule: DesiredResolverRule): ResolverRuleAction[] {
  if (rule.vpcIds.length === 0) return [];
  const createId = actionId('create-rule', rule.domainName, rule.creatorRequestId);
  return [
    {
      kind: 'create-rule',
      actionId: createId,
      domainName: rule.domainName,
      before: null,
      after: {
        name: rule.name,
        creatorRequestId: rule.creatorRequestId,
        domainName: rule.domainName,
        ruleType: rule.ruleType,
        targetIps: rule.targetIps,
        resolverEndpointId: rule.resolverEndpointId,
        tags: rule.tags,
      },
    },
    ...rule.vpcIds.map(
      (vpcId): ResolverRuleAction => ({
        kind: 'associate-rule',
        actionId: actionId('associate-rule', rule.domainName, createId, vpcId),
        domainName: rule.domainName,
        ruleId: null,
        createActionId: createId,
        vpcId,
        before: null,
        after: { vpcId },
      }),
    ),
  ];
}

/**
 * Status first, then the wanted VPCs served, then any VPC served, then forwarding already right, then
 * id: the same rule wins every run. Forwarding is the one criterion the plan itself changes (it updates
 * the rules it keeps), so it only breaks ties that nothing the plan does can reverse: were it to decide
 * between a rule serving a VPC and one serving none, the next run would keep the other one and delete
 * the rule this run kept.
 */
function keptRule(rule: DesiredResolverRule, rules: readonly ObservedResolverRule[]): ObservedResolverRule {
  const score = (r: ObservedResolverRule): number[] => [
    r.status === 'COMPLETE' ? 0 : 1,
    -[...coveredVpcIds(r)].filter((vpcId) => rule.vpcIds.includes(vpcId)).length,
    -coveredVpcIds(r).size,
    forwardsAs(r, rule.targetIps, rule.resolverEndpointId) ? 0 : 1,
  ];
  const compare = (a: ObservedResolverRule, b: ObservedResolverRule): number => {
    const [sa, sb] = [score(a), score(b)];
    const index = sa.findIndex((value, i) => value !== sb[i]);
    return index >= 0 ? (sa[index] ?? 0) - (sb[index] ?? 0) : compareText(a.id, b.id);
  };
  return [...rules].sort(compare)[0]!;
}

/**
 * Brings existing managed rules for a wanted domain in line: associations for uncovered VPCs, forwarding,
 * and duplicates. A duplicate is deleted only when it serves no VPC and the kept rule is COMPLETE; one
 * that serves a VPC is left in place (moving the VPC would leave it without forwarding) and reported.
 */
function convergeActions(
  rule: DesiredResolverRule,
  rules: readonly ObservedResolverRule[],
): { actions: ResolverRuleAction[]; problem?: ResolverRuleProblem } {
  const kept = keptRule(rule, rules);
  const actions: ResolverRuleAction[] = [];
  const extras = rules.filter((r) => r.id !== kept.id);
  const deletable = extras.filter((r) => r.associations.length === 0 && kept.status === 'COMPLETE');
  const remaining = extras.filter((r) => !deletable.includes(r));
  for (const extra of deletable) actions.push(...retireActions(extra, 'duplicate'));

  const covered = new Set(remaining.concat(kept).flatMap((r) => [...coveredVpcIds(r)]));
  for (const vpcId of rule.vpcIds.filter((id) => !covered.has(id))) {
    actions.push({
      kind: 'associate-rule',
      actionId: actionId('associate-rule', rule.domainName, kept.id, vpcId),
      domainName: rule.domainName,
      ruleId: kept.id,
      createActionId: null,
      vpcId,
      before: null,
      after: { vpcId },
    });
  }
  for (const r of [kept, ...remaining]) {
    if (forwardsAs(r, rule.targetIps, rule.resolverEndpointId)) continue;
    actions.push({
      kind: 'update-rule-targets',
      actionId: actionId('update-rule-targets', rule.domainName, r.id),
      domainName: rule.domainName,
      ruleId: r.id,
      before: { targetIps: r.targetIps, resolverEndpointId: r.resolverEndpointId },
      after: { targetIps: rule.targetIps, resolverEndpointId: rule.resolverEndpointId },
    });
  }
  if (remaining.length === 0) return { actions };
  return {
    actions,
    problem: {
      kind: 'duplicate-rules',
      name: rule.domainName,
      message: `${rule.domainName} has ${rules.length} managed rules: ${kept.id} is kept; ${remaining.map((r) => r.id).join(', ')} still serve a VPC or wait for the kept rule to complete, left in place`,
      ruleIds: [kept.id, ...remaining.map((r) => r.id)],
    },
  };
}

/** Disassociates every association not already going away, then deletes the rule. */
function retireActions(rule: ObservedResolverRule, reason: 'retired' | 'duplicate'): ResolverRuleAction[] {
  const disassociations = rule.associations
    .filter((association) => association.status !== 'DELETING')
    .map(
      (association): ResolverRuleAction => ({
        kind: 'disassociate-rule',
        actionId: actionId('disassociate-rule', rule.domainName, rule.id, association.id),
        domainName: rule.domainName,
        ruleId: rule.id,
        vpcId: association.vpcId,
        before: { associationId: association.id, vpcId: association.vpcId, status: association.status },
        after: null,
      }),
    );
  return [
    ...disassociations,
    {
      kind: 'delete-rule',
      actionId: actionId('delete-rule', rule.domainName, rule.id),
      domainName: rule.domainName,
      ruleId: rule.id,
      reason,
      before: {
        ruleArn: rule.arn,
        name: rule.name,
        domainName: rule.domainName,
        targetIps: rule.targetIps,
        resolverEndpointId: rule.resolverEndpointId,
      },
      after: null,
    },
  ];
}
