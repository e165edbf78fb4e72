import { StateTable } from '../adapters/state-table.js';
import { parseRouteConfig } from '../core/routes/config.js';
import { optionalEnv, requiredEnv } from './environment.js';

// Read and validated once per cold start: a bad variable fails the first invocation with a
// ConfigurationError naming it, before any AWS call.
export const routeConfig = parseRouteConfig(process.env);
export const stateTable = new StateTable(requiredEnv('STATE_TABLE'));
export const notificationTargets = {
  ...(optionalEnv('NOTIFICATION_TOPIC_ARN') ? { topicArn: optionalEnv('NOTIFICATION_TOPIC_ARN') } : {}),
};
/** How long a lease outlives its holder's silence: the confirmation wait plus a run's worst case. */
export const leaseSeconds = routeConfig.confirmationDelaySeconds + 300;
/** Processed event ids are remembered this long to recognise replays. */
export const EVENT_MEMORY_SECONDS = 24 * 3600;
