import { parseProbeEnvironment } from '../core/reachability/index.js';
import { ReachabilityStore } from './reachability-state.js';

// The probe's wiring, read and validated once per cold start: a bad variable fails the first invocation
// with a ConfigurationError naming it (and its template parameter), before any probe or AWS call.
const environment = parseProbeEnvironment(process.env);
export const probeConfig = environment.config;
export const reachabilityStore = new ReachabilityStore(environment.stateTable, probeConfig.groupName);
export const notificationTargets = environment.notificationTargets;
/** A public answer wakes the resolver reconciler at most this often. */
export const RESOLVER_WAKE_COOLDOWN_SECONDS = 300;
