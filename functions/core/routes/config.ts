import {
  configurationError,
  DEFAULT_ROUTE_REASON,
  distinct,
  type Env,
  flag,
  isDefaultRoute,
  items,
  optionalWholeNumber,
  type ReconcilerValues,
  reconcilerSchema,
  reject,
  rule,
  vendorCidrShape,
  wholeNumber,
} from '../config.js';
import { isAwsId } from './cidr.js';
import type { OtherTargetPolicy, PrimaryPath, PrimaryPathKind, RouteConfig, RouteDestination } from './types.js';

export { isDefaultRoute } from '../config.js';

// Environment of the route reconciler (lists are comma-separated):
//   GROUP_NAME                  gateway group (`cgw-autopilot:group` tag value), required
//   MANAGED_ROUTE_TABLE_IDS     rtb-... ids managed explicitly
//   MANAGE_TAGGED_ROUTE_TABLES  true|false (default false): also manage tables tagged with the group
//   MANAGED_CIDRS               IPv4 CIDRs of the vendor
//   MANAGED_IPV6_CIDRS          IPv6 CIDRs of the vendor
//   MANAGED_PREFIX_LIST_IDS     pl-... ids
//   REQUIRE_AGENT_REPORTS       true|false (default true)
//   AGENT_STALE_AFTER_SECONDS   default 180
//   CONFIRMATION_DELAY_SECONDS  default 60
//   CORROBORATED_CONFIRMATION_SECONDS  default 4: the wait when the signals agree (see active-gateway.ts)
//   COOLDOWN_SECONDS            default 300
//   FAILBACK_MODE               automatic|manual (default manual)
//   FAILBACK_STABLE_SECONDS     default 600
//   MAX_CHANGES_PER_RUN         default 20, at least 1
//   MAX_ACTIONS_PER_ROUND       default 250: actions one round applies (Step Functions' 256 KB payload)
//   EIP_ALLOCATION_ID           eipalloc-... to keep on the active gateway; empty = EIP mode off
//   OTHER_TARGET_ROUTES         hold|replace (default hold): a managed route another target holds is left alone
//   PRIMARY_PATH_TARGET         tgw-..., vgw-... or pcx-...: preferred target, the gateway group its backup

function awsIds(prefix: string): (text: string) => string[] {
  return (text) =>
    distinct(items(text)).map((id) => (isAwsId(prefix, id) ? id : reject(`'${id}' is not a ${prefix}- id`)));
}

function oneOf<T extends string>(fallback: T, values: readonly T[]): (text: string) => T {
  return (text) => {
    const value = (text.toLowerCase() || fallback) as T;
    return values.includes(value) ? value : reject(`'${value}' is not ${values.join(' or ')}`);
  };
}

const PRIMARY_PATH_KINDS: [string, PrimaryPathKind][] = [
  ['tgw', 'transit-gateway'],
  ['vgw', 'vpn-gateway'],
  ['pcx', 'vpc-peering-connection'],
];

function primaryPath(id: string): PrimaryPath | null {
  if (id === '') return null;
  const kind = PRIMARY_PATH_KINDS.find(([prefix]) => isAwsId(prefix, id))?.[1];
  if (kind === undefined) {
    return reject(
      `'${id}' is not a Transit Gateway (tgw-), virtual private gateway (vgw-) or peering connection (pcx-) id`,
    );
  }
  return { kind, id };
}

const routeShape = {
  MANAGED_ROUTE_TABLE_IDS: rule(awsIds('rtb')),
  MANAGE_TAGGED_ROUTE_TABLES: rule(flag(false)),
  ...vendorCidrShape,
  MANAGED_PREFIX_LIST_IDS: rule(awsIds('pl')),
  REQUIRE_AGENT_REPORTS: rule(flag(true)),
  AGENT_STALE_AFTER_SECONDS: rule(wholeNumber(180, 1)),
  CONFIRMATION_DELAY_SECONDS: rule(wholeNumber(60)),
  CORROBORATED_CONFIRMATION_SECONDS: rule(optionalWholeNumber()),
  COOLDOWN_SECONDS: rule(wholeNumber(300)),
  FAILBACK_MODE: rule((text) => oneOf('manual', ['automatic', 'manual'] as const)(text)),
  FAILBACK_STABLE_SECONDS: rule(wholeNumber(600)),
  MAX_CHANGES_PER_RUN: rule(wholeNumber(20, 1)),
  MAX_ACTIONS_PER_ROUND: rule(wholeNumber(250, 1)),
  EIP_ALLOCATION_ID: rule((id) =>
    id === '' || isAwsId('eipalloc', id) ? id : reject(`'${id}' is not an eipalloc- id`),
  ),
  OTHER_TARGET_ROUTES: rule((text): OtherTargetPolicy => oneOf('hold', ['hold', 'replace'] as const)(text)),
  PRIMARY_PATH_TARGET: rule(primaryPath),
};

export const ROUTE_CONFIG_VARIABLES = Object.keys(routeShape) as (keyof typeof routeShape)[];

function routeConfigOf(v: ReconcilerValues<typeof routeShape>): RouteConfig {
  if (v.MANAGED_ROUTE_TABLE_IDS.length === 0 && !v.MANAGE_TAGGED_ROUTE_TABLES) {
    throw configurationError(
      'MANAGED_ROUTE_TABLE_IDS',
      'no managed route table: set it or MANAGE_TAGGED_ROUTE_TABLES=true',
    );
  }
  const destinations: RouteDestination[] = [
    ...v.MANAGED_CIDRS.map((value): RouteDestination => ({ kind: 'ipv4-cidr', value })),
    ...v.MANAGED_IPV6_CIDRS.map((value): RouteDestination => ({ kind: 'ipv6-cidr', value })),
    ...v.MANAGED_PREFIX_LIST_IDS.map((value): RouteDestination => ({ kind: 'prefix-list', value })),
  ];
  if (destinations.length === 0) {
    throw configurationError(
      'MANAGED_CIDRS',
      'no managed destination: set MANAGED_CIDRS, MANAGED_IPV6_CIDRS or MANAGED_PREFIX_LIST_IDS',
    );
  }
  const confirmationDelaySeconds = v.CONFIRMATION_DELAY_SECONDS;
  // Unset, it is 4 s, or the full delay when that is shorter; set, it may not exceed the full delay.
  const corroboratedConfirmationSeconds = v.CORROBORATED_CONFIRMATION_SECONDS ?? Math.min(4, confirmationDelaySeconds);
  if (corroboratedConfirmationSeconds > confirmationDelaySeconds) {
    throw configurationError(
      'CORROBORATED_CONFIRMATION_SECONDS',
      `${corroboratedConfirmationSeconds} is longer than CONFIRMATION_DELAY_SECONDS (${confirmationDelaySeconds})`,
    );
  }
  return {
    group: v.GROUP_NAME,
    routeTableIds: v.MANAGED_ROUTE_TABLE_IDS,
    manageTaggedRouteTables: v.MANAGE_TAGGED_ROUTE_TABLES,
    destinations,
    requireAgentReports: v.REQUIRE_AGENT_REPORTS,
    agentStaleAfterSeconds: v.AGENT_STALE_AFTER_SECONDS,
    confirmationDelaySeconds,
    corroboratedConfirmationSeconds,
    cooldownSeconds: v.COOLDOWN_SECONDS,
    failback: { mode: v.FAILBACK_MODE, stableSeconds: v.FAILBACK_STABLE_SECONDS },
    maxChangesPerRun: v.MAX_CHANGES_PER_RUN,
    maxActionsPerExecution: v.MAX_ACTIONS_PER_ROUND,
    eip: v.EIP_ALLOCATION_ID === '' ? { mode: 'off' } : { mode: 'keep-on-active', allocationId: v.EIP_ALLOCATION_ID },
    otherTargets: v.OTHER_TARGET_ROUTES,
    primaryPath: v.PRIMARY_PATH_TARGET,
  };
}

const routeSchema = reconcilerSchema(routeShape, routeConfigOf);

/** Reads and validates the route reconciler's configuration; throws `ConfigurationError` naming the variable. */
export const parseRouteConfig: (env: Env) => RouteConfig = routeSchema.config;

/** The configuration plus STATE_TABLE and NOTIFICATION_TOPIC_ARN: what the functions read at cold start. */
export const parseRouteEnvironment = routeSchema.environment;

/**
 * Refuses a managed prefix list that holds a default route (0.0.0.0/0 or ::/0), once its entries have been
 * read: a ConfigurationError naming MANAGED_PREFIX_LIST_IDS, before any change is planned.
 */
export function checkPrefixListEntries(entries: Record<string, string[]> | undefined, config: RouteConfig): void {
  for (const destination of config.destinations) {
    if (destination.kind !== 'prefix-list') continue;
    const defaults = (entries?.[destination.value] ?? []).filter((cidr) => isDefaultRoute(cidr.trim()));
    if (defaults.length > 0) {
      throw configurationError(
        'MANAGED_PREFIX_LIST_IDS',
        `prefix list ${destination.value} contains ${defaults.join(' and ')}, which ${DEFAULT_ROUTE_REASON}`,
      );
    }
  }
}
