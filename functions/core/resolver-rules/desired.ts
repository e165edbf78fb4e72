import type { ChainView } from './chains.js';
import { creatorRequestId, managedRuleTags, ruleName } from './identity.js';
import { compareText } from './order.js';
import { canonicalTargets } from './target-addresses.js';
import type { DesiredResolverRule, ResolverConfig, ResolverRuleConflict } from './types.js';

/** Every domain that should have a managed rule, with why: static, tracked, or the chains holding it. */
export function wantedDomains(config: ResolverConfig, view: ChainView): Map<string, string[]> {
  const wanted = new Map<string, Set<string>>();
  const add = (domain: string, reason: string) => {
    if (view.frozen.has(domain)) return;
    wanted.set(domain, (wanted.get(domain) ?? new Set()).add(reason));
  };
  for (const domain of config.staticDomains) add(domain, 'static');
  for (const domain of config.trackedNames) add(domain, 'tracked');
  for (const chains of [view.current, view.held]) {
    for (const [domain, trackedNames] of chains) for (const trackedName of trackedNames) add(domain, trackedName);
  }
  return new Map(
    [...wanted.entries()]
      .sort(([a], [b]) => compareText(a, b))
      .map(([domain, reasons]) => [domain, [...reasons].sort()]),
  );
}

/** One desired FORWARD rule per wanted domain, associated with every configured VPC free of conflicts. */
export function desiredRules(
  config: ResolverConfig,
  wanted: ReadonlyMap<string, readonly string[]>,
  conflicts: readonly ResolverRuleConflict[],
): DesiredResolverRule[] {
  const targetIps = canonicalTargets(config.targetIps);
  return [...wanted.entries()].map(([domainName, reasons]) => {
    const conflicted = new Set(conflicts.filter((c) => c.domainName === domainName).map((c) => c.vpcId));
    return {
      domainName,
      name: ruleName(config.groupName, domainName),
      creatorRequestId: creatorRequestId(config.groupName, domainName, config.outboundEndpointId, targetIps),
      ruleType: 'FORWARD',
      targetIps,
      resolverEndpointId: config.outboundEndpointId,
      vpcIds: config.vpcIds.filter((vpcId) => !conflicted.has(vpcId)),
      tags: managedRuleTags(config.groupName, domainName),
      reasons: [...reasons],
    };
  });
}
