import { applyAction } from '../adapters/ec2-routes.js';
import { logger } from '../commons/powertools.js';
import { LEASE_RENEW_SECONDS, routeConfig, stateTable } from '../commons/route-context.js';
import type { ActionOutcome } from '../commons/route-state.js';
import type { PlanAction } from '../core/routes/types.js';

/**
 * Applies one plan action (one Map iteration), only while the run holds the group's lease: the fencing
 * check renews it right before the EC2 write and throws LeaseLostError (not retried, reported as the
 * action's outcome) once another execution took it. Throttling and server faults that outlast the SDK's
 * retries throw RetryableAwsError for the ASL's Retry; anything else throws ActionFailedError, which the
 * Map's Catch turns into a failed outcome without stopping the other actions.
 */
export const handler = async (event: { action: PlanAction; executionId: string }): Promise<ActionOutcome> => {
  const fence = () =>
    stateTable.holdLease(routeConfig.group, event.executionId, new Date().toISOString(), LEASE_RENEW_SECONDS);
  const result = await applyAction(event.action, { fence });
  logger.info('action applied', { actionId: event.action.actionId, kind: event.action.kind, result });
  return { actionId: event.action.actionId, status: 'applied', detail: result };
};
