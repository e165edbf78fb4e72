import { applyAction } from '../adapters/ec2-routes.js';
import { logger } from '../commons/powertools.js';
import type { ActionOutcome } from '../commons/route-state.js';
import type { PlanAction } from '../core/routes/types.js';

/**
 * Applies one plan action (one Map iteration). Throttling and server faults that outlast the SDK's
 * retries throw RetryableAwsError for the ASL's Retry; anything else throws ActionFailedError,
 * which the Map's Catch turns into a failed outcome without stopping the other actions.
 */
export const handler = async (event: { action: PlanAction }): Promise<ActionOutcome> => {
  const result = await applyAction(event.action);
  logger.info('action applied', { actionId: event.action.actionId, kind: event.action.kind, result });
  return { actionId: event.action.actionId, status: 'applied', detail: result };
};
