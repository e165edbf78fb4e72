import { domainNameProblem, normaliseDomainName } from './domain-names.js';
import { ConfigurationError } from './errors.js';
import { parseTargetAddress, targetKey } from './target-addresses.js';
import type { ResolverConfig, TargetAddress } from './types.js';

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

const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const OUTBOUND_ENDPOINT_ID = /^rslvr-out-[0-9a-z]{1,54}$/;
const VPC_ID = /^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$/;

type Env = Readonly<Record<string, string | undefined>>;

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

/**
 * Reads and validates the configuration the environment holds; throws ConfigurationError naming the
 * first bad variable. Names and domains may also come from the state table: `withStoredNames` adds
 * them and checks that at least one of either list is set.
 */
export function parseResolverConfig(env: Env): ResolverConfig {
  const staticDomains = domainList(env, RESOLVER_ENV.staticDomains);
  const trackedNames = domainList(env, RESOLVER_ENV.trackedNames);
  return {
    groupName: matching(env, RESOLVER_ENV.groupName, GROUP_NAME, 'letters, digits, - and _, at most 128'),
    staticDomains,
    trackedNames,
    targetIps: targetList(env, RESOLVER_ENV.targetIps),
    outboundEndpointId: matching(env, RESOLVER_ENV.outboundEndpointId, OUTBOUND_ENDPOINT_ID, 'rslvr-out-...'),
    vpcIds: vpcList(env, RESOLVER_ENV.vpcIds),
    gracePeriodSeconds: integer(env, RESOLVER_ENV.gracePeriodSeconds, DEFAULT_GRACE_PERIOD_SECONDS, 0),
    maxChangesPerRun: integer(env, RESOLVER_ENV.maxChangesPerRun, DEFAULT_MAX_CHANGES_PER_RUN, 1),
  };
}

function required(env: Env, variable: string): string {
  const value = env[variable]?.trim();
  if (!value) throw new ConfigurationError(variable, 'is required');
  return value;
}

function matching(env: Env, variable: string, pattern: RegExp, expected: string): string {
  const value = required(env, variable);
  if (!pattern.test(value)) throw new ConfigurationError(variable, `"${value}" is not valid (expected ${expected})`);
  return value;
}

function items(env: Env, variable: string): string[] {
  const values = (env[variable] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return values;
}

function unique<T>(variable: string, values: T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  for (const value of values) {
    const k = key(value);
    if (seen.has(k)) throw new ConfigurationError(variable, `"${k}" is listed twice`);
    seen.add(k);
  }
  return values;
}

function domainList(env: Env, variable: string): string[] {
  const domains = items(env, variable).map((item) => {
    const domain = normaliseDomainName(item);
    const problem = domainNameProblem(domain);
    if (problem) throw new ConfigurationError(variable, problem);
    return domain;
  });
  return unique(variable, domains, (domain) => domain);
}

function targetList(env: Env, variable: string): TargetAddress[] {
  required(env, variable);
  const targets = items(env, variable).map((item) => {
    const target = parseTargetAddress(item);
    if (typeof target === 'string') throw new ConfigurationError(variable, target);
    return target;
  });
  return unique(variable, targets, targetKey);
}

function vpcList(env: Env, variable: string): string[] {
  required(env, variable);
  const vpcIds = items(env, variable).map((item) => {
    if (!VPC_ID.test(item)) throw new ConfigurationError(variable, `"${item}" is not a VPC id (vpc-...)`);
    return item;
  });
  return unique(variable, vpcIds, (vpcId) => vpcId);
}

function integer(env: Env, variable: string, fallback: number, minimum: number): number {
  const text = env[variable]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < minimum) {
    throw new ConfigurationError(variable, `"${text}" is not a whole number of at least ${minimum}`);
  }
  return Number(text);
}

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
    const domains = (value as string[]).map((item) => {
      const domain = normaliseDomainName(item.trim());
      const problem = domainNameProblem(domain);
      if (problem) throw new ConfigurationError(variable, problem);
      return domain;
    });
    return unique(variable, domains, (domain) => domain);
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
