import { ROUTE_LEASE_RENEW_SECONDS } from '../core/lease.js';
import { parseRouteEnvironment } from '../core/routes/config.js';
import { StateTable } from './state-table.js';

// The route functions' wiring, read and validated once per cold start: a bad variable fails the first
// invocation with a ConfigurationError naming it, before any AWS call.
const environment = parseRouteEnvironment(process.env);
export const routeConfig = environment.config;
export const stateTable = new StateTable(environment.stateTable);
export const notificationTargets = environment.notificationTargets;
/** See core/lease.ts: renewed by every apply attempt, taken in Decide for the confirmation wait plus a round's silence. */
export const LEASE_RENEW_SECONDS = ROUTE_LEASE_RENEW_SECONDS;
export const leaseSeconds = routeConfig.confirmationDelaySeconds + LEASE_RENEW_SECONDS;
/** Processed event ids are remembered this long to recognise replays. */
export const EVENT_MEMORY_SECONDS = 24 * 3600;
