import {
  domainNames,
  type Env,
  items,
  once,
  type ReconcilerValues,
  readChecked,
  readDomainNames,
  reconcilerSchema,
  reject,
  required,
  rule,
  wholeNumber,
} from '../config.js';
import { ConfigurationError } from './errors.js';
import { parseTargetAddress, targetKey } from './target-addresses.js';
import type { ResolverConfig } from './types.js';

/**
 * Environment variables of the resolver-rule reconciler (lists are comma separated):
 *   GROUP_NAME                      gateway group / stack name, used in rule names and tags (required)
 *   RESOLVER_STATIC_DOMAINS         domains always forwarded, e.g. the vendor's application domain
 *   RESOLVER_TRACKED_NAMES          names whose CNAME chains are followed (at least one of these two lists)
 *   RESOLVER_TARGET_IPS             vendor DNS servers: 10.0.0.2, 10.0.0.2:5353, [fd00::2]:53 (required)
 *   RESOLVER_OUTBOUND_ENDPOINT_ID   rslvr-out-... (required)
 *   RESOLVER_VPC_IDS                vpc-... (required)
 *   RESOLVER_GRACE_PERIOD_SECONDS   default 86400
 *   RESOLVER_MAX_CHANGES            changes allowed per run without the manual override, default 20
 *   RESOLVER_DNS_TIMEOUT_MS, RESOLVER_DNS_TRIES   per try (default 1000) and tries (default 2) of each lookup
 *   RESOLVER_MAX_CNAME_DEPTH        CNAME links followed (default 8)
 *   RESOLVER_DNS_CONCURRENCY, RESOLVER_APPLY_CONCURRENCY   chains walked (100), Resolver calls in flight (5)
 */
export const RESOLVER_ENV = {
  groupName: 'GROUP_NAME',
  staticDomains: 'RESOLVER_STATIC_DOMAINS',
  trackedNames: 'RESOLVER_TRACKED_NAMES',
  targetIps: 'RESOLVER_TARGET_IPS',
  outboundEndpointId: 'RESOLVER_OUTBOUND_ENDPOINT_ID',
  vpcIds: 'RESOLVER_VPC_IDS',
  gracePeriodSeconds: 'RESOLVER_GRACE_PERIOD_SECONDS',
  maxChangesPerRun: 'RESOLVER_MAX_CHANGES',
} as const;

export const DEFAULT_GRACE_PERIOD_SECONDS = 86_400;
export const DEFAULT_MAX_CHANGES_PER_RUN = 20;

const OUTBOUND_ENDPOINT_ID = /^rslvr-out-[0-9a-z]{1,54}$/;
const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

/**
 * Where names and domains beyond what the template's parameters hold are kept: one item of the
 * state table (pk group#<group>, sk resolver-config) with the lists `trackedNames` and `staticDomains`,
 * written by `npm run resolver-names`. A Lambda function's environment holds 4 KB in all, a
 * CloudFormation parameter 4,096 bytes; a DynamoDB item 400 KB, 1,000 names of 253 characters.
 */
export const STORED_NAMES_SOURCE = 'state table item resolver-config';

/** The names and domains stored in the state table, as read (unvalidated). */
export interface StoredResolverNames {
  trackedNames?: unknown;
  staticDomains?: unknown;
}

/** How the Lambda in the VPC asks the vendor's DNS servers, and how hard it pushes Route 53 Resolver. */
export interface ResolverTuning {
  dnsTimeoutMs: number;
  dnsTries: number;
  maxCnameDepth: number;
  /**
   * Chains walked at once (each with one query in flight, two for A and AAAA): the bound on the
   * vendor's DNS servers. 100 keeps 1,000 names of depth 3 (6,000 queries, 5 round trips a name)
   * within the time the Resolver listing takes.
   */
  dnsConcurrency: number;
  /** Resolver API calls in flight at once while applying. */
  applyConcurrency: number;
}

export const TUNING_ENV = {
  dnsTimeoutMs: 'RESOLVER_DNS_TIMEOUT_MS',
  dnsTries: 'RESOLVER_DNS_TRIES',
  maxCnameDepth: 'RESOLVER_MAX_CNAME_DEPTH',
  dnsConcurrency: 'RESOLVER_DNS_CONCURRENCY',
  applyConcurrency: 'RESOLVER_APPLY_CONCURRENCY',
} as const;

const resolverShape = {
  RESOLVER_STATIC_DOMAINS: domainNames,
  RESOLVER_TRACKED_NAMES: domainNames,
  RESOLVER_TARGET_IPS: rule((text) =>
    once(
      items(required(text)).map((item) => {
        const target = parseTargetAddress(item);
        return typeof target === 'string' ? reject(target) : target;
      }),
      targetKey,
    ),
  ),
  RESOLVER_OUTBOUND_ENDPOINT_ID: rule((text) =>
    OUTBOUND_ENDPOINT_ID.test(required(text)) ? text : reject(`"${text}" is not valid (expected rslvr-out-...)`),
  ),
  RESOLVER_VPC_IDS: rule((text) =>
    once(
      items(required(text)).map((item) => (VPC_ID.test(item) ? item : reject(`"${item}" is not a VPC id (vpc-...)`))),
      (vpcId) => vpcId,
    ),
  ),
  RESOLVER_GRACE_PERIOD_SECONDS: rule(wholeNumber(DEFAULT_GRACE_PERIOD_SECONDS, 0)),
  RESOLVER_MAX_CHANGES: rule(wholeNumber(DEFAULT_MAX_CHANGES_PER_RUN, 1)),
};

const tuningShape = {
  RESOLVER_DNS_TIMEOUT_MS: rule(wholeNumber(1000, 1)),
  RESOLVER_DNS_TRIES: rule(wholeNumber(2, 1)),
  RESOLVER_MAX_CNAME_DEPTH: rule(wholeNumber(8, 1)),
  RESOLVER_DNS_CONCURRENCY: rule(wholeNumber(100, 1)),
  RESOLVER_APPLY_CONCURRENCY: rule(wholeNumber(5, 1)),
};

function resolverConfigOf(v: ReconcilerValues<typeof resolverShape>): ResolverConfig {
  return {
    groupName: v.GROUP_NAME,
    staticDomains: v.RESOLVER_STATIC_DOMAINS,
    trackedNames: v.RESOLVER_TRACKED_NAMES,
    targetIps: v.RESOLVER_TARGET_IPS,
    outboundEndpointId: v.RESOLVER_OUTBOUND_ENDPOINT_ID,
    vpcIds: v.RESOLVER_VPC_IDS,
    gracePeriodSeconds: v.RESOLVER_GRACE_PERIOD_SECONDS,
    maxChangesPerRun: v.RESOLVER_MAX_CHANGES,
  };
}

const resolverSchema = reconcilerSchema(resolverShape, resolverConfigOf, {
  shape: tuningShape,
  of: (v): { tuning: ResolverTuning } => ({
    tuning: {
      dnsTimeoutMs: v.RESOLVER_DNS_TIMEOUT_MS,
      dnsTries: v.RESOLVER_DNS_TRIES,
      maxCnameDepth: v.RESOLVER_MAX_CNAME_DEPTH,
      dnsConcurrency: v.RESOLVER_DNS_CONCURRENCY,
      applyConcurrency: v.RESOLVER_APPLY_CONCURRENCY,
    },
  }),
});

/**
 * Reads and validates the configuration the environment holds; throws ConfigurationError naming the
 * first bad variable. Names and domains may also come from the state table: `withStoredNames` adds
 * them and checks that at least one of either list is set.
 */
export const parseResolverConfig: (env: Env) => ResolverConfig = resolverSchema.config;

/** The configuration plus the tuning, STATE_TABLE and NOTIFICATION_TOPIC_ARN: what the functions read at cold start. */
export const parseResolverEnvironment = resolverSchema.environment;

/** Validates stored lists of names: each a domain name, none twice; ConfigurationError naming the list. */
export function parseStoredNames(stored: StoredResolverNames | undefined): {
  trackedNames: string[];
  staticDomains: string[];
} {
  const list = (field: 'trackedNames' | 'staticDomains'): string[] => {
    const value = stored?.[field];
    const variable = `${STORED_NAMES_SOURCE}.${field}`;
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw new ConfigurationError(variable, 'is not a list of domain names');
    }
    return readChecked(variable, () => readDomainNames((value as string[]).map((item) => item.trim())));
  };
  return { trackedNames: list('trackedNames'), staticDomains: list('staticDomains') };
}

/**
 * The configuration with the stored names and domains added to those of the environment (a name in
 * both counts once); ConfigurationError when neither holds a tracked name or a static domain.
 */
export function withStoredNames(config: ResolverConfig, stored: StoredResolverNames | undefined): ResolverConfig {
  const extra = parseStoredNames(stored);
  const merged = {
    ...config,
    trackedNames: [...new Set([...config.trackedNames, ...extra.trackedNames])],
    staticDomains: [...new Set([...config.staticDomains, ...extra.staticDomains])],
  };
  if (merged.trackedNames.length === 0 && merged.staticDomains.length === 0) {
    throw new ConfigurationError(
      RESOLVER_ENV.trackedNames,
      `set at least one tracked name or one static domain (${RESOLVER_ENV.staticDomains}, or the ${STORED_NAMES_SOURCE})`,
    );
  }
  return merged;
}
