import { normaliseDomainName } from './domain-names.js';
import { compareText } from './order.js';
import { canonicalTargets, sameTargets } from './target-addresses.js';
import type { ObservedResolverRule, TargetAddress } from './types.js';

/** Association states in which a rule does answer (or is about to answer) for the VPC. */
const COVERING_ASSOCIATION_STATUSES = new Set(['CREATING', 'COMPLETE', 'OVERRIDDEN']);

/** The rule in the spelling the planner compares: normalised domain, canonical targets. */
function normalise(rule: ObservedResolverRule): ObservedResolverRule {
  return { ...rule, domainName: normaliseDomainName(rule.domainName), targetIps: canonicalTargets(rule.targetIps) };
}

/** True for the rules the reconciler may change: tagged as ours, FORWARD (anything else is left alone). */
export function isOurs(rule: ObservedResolverRule): boolean {
  return rule.managed && rule.ruleType === 'FORWARD';
}

/** Our rules that are not already being deleted, by normalised domain, each list in id order. */
export function liveManagedRulesByDomain(rules: readonly ObservedResolverRule[]): Map<string, ObservedResolverRule[]> {
  const byDomain = new Map<string, ObservedResolverRule[]>();
  for (const rule of [...rules].sort((a, b) => compareText(a.id, b.id))) {
    if (!isOurs(rule) || rule.status === 'DELETING') continue;
    const normalised = normalise(rule);
    byDomain.set(normalised.domainName, [...(byDomain.get(normalised.domainName) ?? []), normalised]);
  }
  return byDomain;
}

/** The rules that are not ours, normalised: they only ever produce conflicts. */
export function foreignRules(rules: readonly ObservedResolverRule[]): ObservedResolverRule[] {
  return rules.filter((rule) => !isOurs(rule)).map(normalise);
}

/** The VPCs a rule answers for. */
export function coveredVpcIds(rule: ObservedResolverRule): Set<string> {
  return new Set(rule.associations.filter((a) => COVERING_ASSOCIATION_STATUSES.has(a.status)).map((a) => a.vpcId));
}

/** True when the rule forwards to exactly these targets through this endpoint. */
export function forwardsAs(
  rule: ObservedResolverRule,
  targetIps: readonly TargetAddress[],
  endpointId: string,
): boolean {
  return rule.resolverEndpointId === endpointId && sameTargets(rule.targetIps, targetIps);
}
