import { StateTable } from '../adapters/state-table.js';
import { ROUTE_LEASE_RENEW_SECONDS } from '../core/lease.js';
import { parseRouteConfig } from '../core/routes/config.js';
import { optionalEnv, requiredEnv } from './environment.js';

// Read and validated once per cold start: a bad variable fails the first invocation with a
// ConfigurationError naming it, before any AWS call.
export const routeConfig = parseRouteConfig(process.env);
export const stateTable = new StateTable(requiredEnv('STATE_TABLE'));
export const notificationTargets = {
  ...(optionalEnv('NOTIFICATION_TOPIC_ARN') ? { topicArn: optionalEnv('NOTIFICATION_TOPIC_ARN') } : {}),
};
/** See core/lease.ts: renewed by every apply attempt, taken in Decide for the confirmation wait plus a round's silence. */
export const LEASE_RENEW_SECONDS = ROUTE_LEASE_RENEW_SECONDS;
export const leaseSeconds = routeConfig.confirmationDelaySeconds + LEASE_RENEW_SECONDS;
/** Processed event ids are remembered this long to recognise replays. */
export const EVENT_MEMORY_SECONDS = 24 * 3600;
