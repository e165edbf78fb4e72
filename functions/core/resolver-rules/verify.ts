import { coveredVpcIds, forwardsAs, liveManagedRulesByDomain } from './observed.js';
import type { DesiredResolverRule, ObservedResolverRule, ResolverRuleVerification } from './types.js';

/** What of the desired rules is still missing from the rules observed after applying a plan. */
export function verifyRules(
  observedAfter: readonly ObservedResolverRule[],
  desired: readonly DesiredResolverRule[],
): ResolverRuleVerification {
  const managed = liveManagedRulesByDomain(observedAfter);
  const result: ResolverRuleVerification = {
    converged: true,
    missingRules: [],
    wrongForwarding: [],
    missingAssociations: [],
  };
  for (const rule of desired) {
    const rules = managed.get(rule.domainName) ?? [];
    if (rules.length === 0) {
      // A rule every configured VPC of which is taken by a conflict is not created, so not missing either.
      if (rule.vpcIds.length > 0) result.missingRules.push(rule.domainName);
      continue;
    }
    for (const r of rules) {
      if (!forwardsAs(r, rule.targetIps, rule.resolverEndpointId)) {
        result.wrongForwarding.push({ domainName: rule.domainName, ruleId: r.id });
      }
    }
    const covered = new Set(rules.flatMap((r) => [...coveredVpcIds(r)]));
    for (const vpcId of rule.vpcIds) {
      if (!covered.has(vpcId)) result.missingAssociations.push({ domainName: rule.domainName, vpcId });
    }
  }
  result.converged =
    result.missingRules.length === 0 && result.wrongForwarding.length === 0 && result.missingAssociations.length === 0;
  return result;
}
