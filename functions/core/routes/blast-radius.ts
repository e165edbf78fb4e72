import type { RoutePlan } from './types.js';

/** Marks a plan with more changes than `limit` as blocked, unless the operator's override is set. */
export function applyBlastRadius(plan: RoutePlan, limit: number, override: boolean): RoutePlan {
  const { blocked: _previous, ...unblocked } = plan;
  const changes = plan.actions.length;
  if (changes <= limit || override) return unblocked;
  return { ...unblocked, blocked: { reason: 'blast-radius', changes, limit } };
}

/**
 * Keeps the first `limit` actions of a plan for this round and counts the rest as deferred: the
 * execution applies them in its next round, after observing again, so its JSON never grows past
 * Step Functions' payload limit however many route tables there are.
 */
export function limitRound(plan: RoutePlan, limit: number): RoutePlan {
  if (plan.blocked || plan.actions.length <= limit) return plan;
  return { ...plan, actions: plan.actions.slice(0, limit), deferred: plan.actions.length - limit };
}
