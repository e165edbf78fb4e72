import { RESOLVER_LEASE_SECONDS } from '../core/lease.js';
import { parseResolverEnvironment, type ResolverConfig, type ResolverTuning } from '../core/resolver-rules/index.js';
import { ResolverStateStore } from './resolver-state.js';

export interface ResolverContext {
  config: ResolverConfig;
  tuning: ResolverTuning;
  store: ResolverStateStore;
  notificationTargets: { topicArn?: string };
  /** How long the lease outlives its holder's last write to it (core/lease.ts). */
  leaseSeconds: number;
}

/** A run record (plan and outcomes) is kept this long for the audit. */
export const RUN_RECORD_SECONDS = 30 * 86_400;

// The resolver functions' wiring, read and validated once per cold start: a bad variable fails the first
// invocation with a ConfigurationError naming it, before any AWS call.
const environment = parseResolverEnvironment(process.env);
const context: ResolverContext = {
  config: environment.config,
  tuning: environment.tuning,
  store: new ResolverStateStore(environment.stateTable, environment.config.groupName),
  notificationTargets: environment.notificationTargets,
  leaseSeconds: RESOLVER_LEASE_SECONDS,
};

/** The context read at cold start. */
export function resolverContext(): ResolverContext {
  return context;
}
