import { resolveTrackedNames } from '../adapters/dns-resolver.js';
import { RUN_RECORD_SECONDS, resolverContext } from '../adapters/resolver-context.js';
import { observeResolverRules } from '../adapters/resolver-rules.js';
import { instrumented, logger } from '../commons/powertools.js';
import type { ResolverDecision, ResolverRequest } from '../commons/resolver-state.js';
import { listedResolutions, planResolverRules, withStoredNames } from '../core/resolver-rules/index.js';

resolverContext();

/**
 * Observe and decide: takes the resolver lease (a dry run only reads), lists the rules and walks the
 * chains side by side, plans, and stores the plan in the state table for the apply and report states.
 */
const handle = async (event: { request: ResolverRequest; executionId: string }): Promise<ResolverDecision> => {
  const { config: configured, store, tuning, leaseSeconds } = resolverContext();
  // The names and domains of the template plus those stored in the state table, read at each run.
  const config = withStoredNames(configured, await store.readStoredNames());
  const now = new Date().toISOString();
  const [history, observation, resolutions] = await Promise.all([
    event.request.dryRun ? store.readHistory() : store.acquireLease(event.executionId, now, leaseSeconds),
    observeResolverRules(config),
    resolveTrackedNames(config, tuning),
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
    ...listedResolutions(resolutions),
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
