import { createDnsLookup, resolveChains } from '../adapters/dns-resolver.js';
import { type ResolverContext, RUN_RECORD_SECONDS, resolverContext } from '../adapters/resolver-context.js';
import { observeResolverRules } from '../adapters/resolver-rules.js';
import { instrumented, logger } from '../commons/powertools.js';
import type { ResolverDecision, ResolverRequest } from '../commons/resolver-state.js';
import type { NameResolution, ResolverConfig } from '../core/resolver-rules/index.js';
import { planResolverRules, withStoredNames } from '../core/resolver-rules/index.js';

resolverContext();

/**
 * Resolutions listed in the decision, which travels in the execution's JSON (256 KiB at most):
 * 2,000 chains of depth 3 alone pass it. The names that did not resolve come first.
 */
const LISTED_RESOLUTIONS = 200;

function listed(
  resolutions: Record<string, NameResolution>,
): Pick<ResolverDecision, 'resolutions' | 'resolutionsOmitted'> {
  const entries = Object.entries(resolutions);
  const first = [
    ...entries.filter(([, r]) => r.status !== 'resolved'),
    ...entries.filter(([, r]) => r.status === 'resolved'),
  ].slice(0, LISTED_RESOLUTIONS);
  return {
    resolutions: Object.fromEntries(first.map(([name, r]) => [name, describe(r)])),
    ...(entries.length > first.length ? { resolutionsOmitted: entries.length - first.length } : {}),
  };
}

const server = (t: ResolverConfig['targetIps'][number]) =>
  t.ip.includes(':') ? `[${t.ip}]:${t.port}` : `${t.ip}:${t.port}`;

/** Walks every tracked name's CNAME chain through the vendor's DNS servers, asked directly. */
export async function resolveTrackedNames(context: ResolverContext): Promise<Record<string, NameResolution>> {
  const { config, tuning } = context;
  if (config.trackedNames.length === 0) return {};
  const lookup = createDnsLookup({
    servers: config.targetIps.map(server),
    timeoutMs: tuning.dnsTimeoutMs,
    tries: tuning.dnsTries,
  });
  const chains = await resolveChains(config.trackedNames, lookup, {
    maxDepth: tuning.maxCnameDepth,
    concurrency: tuning.dnsConcurrency,
  });
  const resolutions: Record<string, NameResolution> = {};
  for (const [name, result] of chains) {
    switch (result.status) {
      case 'resolved':
        resolutions[name] = { status: 'resolved', chain: result.chain };
        break;
      case 'nxdomain':
        resolutions[name] = { status: 'nxdomain', chain: result.chain };
        break;
      case 'unknown':
        resolutions[name] = {
          status: 'unknown',
          reason: result.reason,
          detail: `${result.at}: ${result.detail ?? result.reason}`,
        };
        break;
      case 'invalid':
        resolutions[name] = { status: 'invalid', chain: result.chain, problem: result.problem, detail: result.detail };
    }
  }
  return resolutions;
}

function describe(resolution: NameResolution): string {
  switch (resolution.status) {
    case 'resolved':
      return resolution.chain.join(' -> ');
    case 'nxdomain':
      return `NXDOMAIN${resolution.chain?.length ? ` after ${resolution.chain.join(' -> ')}` : ''}`;
    case 'unknown':
      return `unknown (${resolution.detail ?? resolution.reason ?? 'no answer'})`;
    case 'invalid':
      return `invalid: ${resolution.detail ?? resolution.problem}`;
  }
}

/**
 * Observe and decide: takes the resolver lease (a dry run only reads), lists the rules and walks the
 * chains side by side, plans, and stores the plan in the state table for the apply and report states.
 */
const handle = async (event: { request: ResolverRequest; executionId: string }): Promise<ResolverDecision> => {
  const base = resolverContext();
  const { store } = base;
  // The names and domains of the template plus those stored in the state table, read at each run.
  const config = withStoredNames(base.config, await store.readStoredNames());
  const context = { ...base, config };
  const now = new Date().toISOString();
  const [history, observation, resolutions] = await Promise.all([
    event.request.dryRun ? store.readHistory() : store.acquireLease(event.executionId, now, context.leaseSeconds),
    observeResolverRules(config),
    resolveTrackedNames(context),
  ]);
  const plan = planResolverRules({
    config,
    resolutions,
    history,
    observedRules: observation.observedRules,
    unmanagedAssociations: observation.unmanagedAssociations,
    now,
    override: event.request.overrideBlastRadius,
  });
  await store.putRunPart(event.executionId, 'plan', plan, now, RUN_RECORD_SECONDS);
  const actionsByKind: Record<string, number> = {};
  for (const action of plan.actions) actionsByKind[action.kind] = (actionsByKind[action.kind] ?? 0) + 1;
  const decision: ResolverDecision = {
    plannedAt: plan.plannedAt,
    actionCount: plan.actions.length,
    actionsByKind,
    blocked: plan.blocked,
    degraded: plan.degraded,
    unresolvedNames: plan.unresolvedNames,
    problems: plan.problems,
    conflicts: plan.conflicts,
    ...listed(resolutions),
    resolverCalls: observation.calls,
  };
  logger.info('resolver decision', {
    group: config.groupName,
    actions: actionsByKind,
    blocked: plan.blocked,
    degraded: plan.degraded,
    problems: plan.problems.length,
    conflicts: plan.conflicts.length,
    resolverCalls: observation.calls,
  });
  return decision;
};

export const handler = instrumented({ group: () => resolverContext().config.groupName }, handle);
