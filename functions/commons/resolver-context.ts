import { ResolverStateStore } from '../adapters/resolver-state.js';
import { RESOLVER_LEASE_SECONDS } from '../core/lease.js';
import {
  ConfigurationError,
  parseResolverConfig,
  RESOLVER_ENV,
  type ResolverConfig,
} from '../core/resolver-rules/index.js';
import { optionalEnv, requiredEnv } from './environment.js';

/** How the Lambda in the VPC asks the vendor's DNS servers, and how hard it pushes Route 53 Resolver. */
export interface ResolverTuning {
  dnsTimeoutMs: number;
  dnsTries: number;
  maxCnameDepth: number;
  /** Chains walked at once. */
  dnsConcurrency: number;
  /** Resolver API calls in flight at once while applying. */
  applyConcurrency: number;
}

export interface ResolverContext {
  config: ResolverConfig;
  tuning: ResolverTuning;
  store: ResolverStateStore;
  notificationTargets: { topicArn?: string };
  /** How long the lease outlives its holder's last write to it (core/lease.ts). */
  leaseSeconds: number;
}

export const TUNING_ENV = {
  dnsTimeoutMs: 'RESOLVER_DNS_TIMEOUT_MS',
  dnsTries: 'RESOLVER_DNS_TRIES',
  maxCnameDepth: 'RESOLVER_MAX_CNAME_DEPTH',
  dnsConcurrency: 'RESOLVER_DNS_CONCURRENCY',
  applyConcurrency: 'RESOLVER_APPLY_CONCURRENCY',
} as const;

/** A run record (plan and outcomes) is kept this long for the audit. */
export const RUN_RECORD_SECONDS = 30 * 86_400;

type Env = Record<string, string | undefined>;

function positiveInteger(env: Env, variable: string, fallback: number): number {
  const text = env[variable]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new ConfigurationError(variable, `"${text}" is not a whole number of at least 1`);
  return Number(text);
}

export function parseResolverContext(env: Env): ResolverContext {
  const config = parseResolverConfig(env);
  const topicArn = optionalEnv('NOTIFICATION_TOPIC_ARN', env);
  return {
    config,
    tuning: {
      dnsTimeoutMs: positiveInteger(env, TUNING_ENV.dnsTimeoutMs, 1000),
      dnsTries: positiveInteger(env, TUNING_ENV.dnsTries, 2),
      maxCnameDepth: positiveInteger(env, TUNING_ENV.maxCnameDepth, 8),
      dnsConcurrency: positiveInteger(env, TUNING_ENV.dnsConcurrency, 50),
      applyConcurrency: positiveInteger(env, TUNING_ENV.applyConcurrency, 5),
    },
    store: new ResolverStateStore(requiredEnv('STATE_TABLE', env), config.groupName),
    notificationTargets: topicArn ? { topicArn } : {},
    leaseSeconds: RESOLVER_LEASE_SECONDS,
  };
}

const VARIABLES = [
  ...Object.values(RESOLVER_ENV),
  ...Object.values(TUNING_ENV),
  'STATE_TABLE',
  'NOTIFICATION_TOPIC_ARN',
];
let cached: { key: string; context: ResolverContext } | undefined;

/**
 * The validated context, parsed once per cold start. It is parsed again only if the variables changed,
 * which never happens in Lambda but does when one process hosts successive deployments (the drill).
 */
export function resolverContext(env: Env = process.env): ResolverContext {
  const key = JSON.stringify(VARIABLES.map((name) => env[name] ?? null));
  if (cached?.key !== key) cached = { key, context: parseResolverContext(env) };
  return cached.context;
}
