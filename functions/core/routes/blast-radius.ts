import type { RoutePlan } from './types.js';

/** Marks a plan with more changes than `limit` as blocked, unless the operator's override is set. */
export function applyBlastRadius(plan: RoutePlan, limit: number, override: boolean): RoutePlan {
  const { blocked: _previous, ...unblocked } = plan;
  const changes = plan.actions.length;
  if (changes <= limit || override) return unblocked;
  return { ...unblocked, blocked: { reason: 'blast-radius', changes, limit } };
}
