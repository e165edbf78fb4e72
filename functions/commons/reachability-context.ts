import { ReachabilityStore } from '../adapters/reachability-state.js';
import { parseProbeConfig } from '../core/reachability/index.js';
import { optionalEnv, requiredEnv } from './environment.js';

// Read and validated once per cold start: a bad variable fails the first invocation with a
// ConfigurationError naming it (and its template parameter), before any probe or AWS call.
export const probeConfig = parseProbeConfig(process.env);
export const reachabilityStore = new ReachabilityStore(requiredEnv('STATE_TABLE'), probeConfig.groupName);
const topicArn = optionalEnv('NOTIFICATION_TOPIC_ARN');
export const notificationTargets = topicArn ? { topicArn } : {};
/** A public answer wakes the resolver reconciler at most this often. */
export const RESOLVER_WAKE_COOLDOWN_SECONDS = 300;
