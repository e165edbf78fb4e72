import { normaliseDomainName } from './domain-names.js';
import { foreignRules } from './observed.js';
import { compareText } from './order.js';
import type { ObservedResolverRule, ObservedUnmanagedAssociation, ResolverRuleConflict } from './types.js';

/**
 * Unmanaged rules for a wanted domain associated with a configured VPC: Route 53 Resolver allows one
 * rule per domain per VPC, and we never touch theirs, so ours stays out of that VPC.
 */
export function findConflicts(
  wantedDomains: ReadonlySet<string>,
  vpcIds: readonly string[],
  observedRules: readonly ObservedResolverRule[],
  unmanagedAssociations: readonly ObservedUnmanagedAssociation[],
): ResolverRuleConflict[] {
  const configured = new Set(vpcIds);
  const found = new Map<string, ResolverRuleConflict>();
  const note = (domainName: string, vpcId: string, ruleId: string) => {
    if (!wantedDomains.has(domainName) || !configured.has(vpcId)) return;
    found.set(`${domainName} ${vpcId} ${ruleId}`, {
      domainName,
      vpcId,
      ruleId,
      message: `unmanaged rule ${ruleId} for ${domainName} is associated with ${vpcId}: left alone, no managed rule associated there`,
    });
  };
  for (const rule of foreignRules(observedRules)) {
    for (const association of rule.associations) note(rule.domainName, association.vpcId, rule.id);
  }
  for (const association of unmanagedAssociations) {
    note(normaliseDomainName(association.domainName), association.vpcId, association.ruleId);
  }
  return [...found.entries()].sort(([a], [b]) => compareText(a, b)).map(([, conflict]) => conflict);
}
