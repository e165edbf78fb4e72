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
/**
 * How long the lease outlives its holder's last write to it. Every ApplyAction attempt renews it
 * (the fencing check before its write), Decide takes or renews it each round, and Report stores the
 * record with it; the longest silence of a live run is one apply attempt (the function's 30 s
 * timeout) followed by the Report state's worst case (5 attempts of 30 s and 15 s of waits), 195 s.
 * test/template/lease-sizing.test.ts checks this against the ASL and the template.
 */
export const LEASE_RENEW_SECONDS = 300;
/** Taken in Decide: the confirmation wait, then a round's longest silence. */
export const leaseSeconds = routeConfig.confirmationDelaySeconds + LEASE_RENEW_SECONDS;
/** Processed event ids are remembered this long to recognise replays. */
export const EVENT_MEMORY_SECONDS = 24 * 3600;
