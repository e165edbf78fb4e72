import { checkIpv4Cidr, checkIpv6Cidr, isAwsId } from './cidr.js';
import { ConfigurationError } from './errors.js';
import type {
  EipMode,
  FailbackMode,
  OtherTargetPolicy,
  PrimaryPath,
  PrimaryPathKind,
  RouteConfig,
  RouteDestination,
} from './types.js';

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
export const ROUTE_CONFIG_VARIABLES = [
  'GROUP_NAME',
  'MANAGED_ROUTE_TABLE_IDS',
  'MANAGE_TAGGED_ROUTE_TABLES',
  'MANAGED_CIDRS',
  'MANAGED_IPV6_CIDRS',
  'MANAGED_PREFIX_LIST_IDS',
  'REQUIRE_AGENT_REPORTS',
  'AGENT_STALE_AFTER_SECONDS',
  'CONFIRMATION_DELAY_SECONDS',
  'CORROBORATED_CONFIRMATION_SECONDS',
  'COOLDOWN_SECONDS',
  'FAILBACK_MODE',
  'FAILBACK_STABLE_SECONDS',
  'MAX_CHANGES_PER_RUN',
  'MAX_ACTIONS_PER_ROUND',
  'EIP_ALLOCATION_ID',
  'OTHER_TARGET_ROUTES',
  'PRIMARY_PATH_TARGET',
] as const;

/** The template parameter each variable comes from, so an operator reads the name they set. */
const PARAMETER_OF: Partial<Record<RouteConfigVariable, string>> = {
  MANAGED_CIDRS: 'VendorCidrs',
  MANAGED_IPV6_CIDRS: 'VendorIpv6Cidrs',
  MANAGED_PREFIX_LIST_IDS: 'VendorPrefixListIds',
  OTHER_TARGET_ROUTES: 'OtherTargetRoutes',
  PRIMARY_PATH_TARGET: 'PrimaryPathTarget',
};

// The vendor VPC's internet gateway owns the default route (the vendor's own Direct Connect guidance says to
// advertise specific subnets, never 0.0.0.0/0); managing it here would send the whole VPC's internet traffic
// through a strongSwan instance.
const DEFAULT_ROUTE_REASON =
  "is a default route: managing it would send the whole VPC's internet traffic through the gateway; list the vendor's specific CIDRs";

/** True for 0.0.0.0/0 and ::/0 in canonical form (the only /0 CIDRs without host bits). */
export function isDefaultRoute(cidr: string): boolean {
  return cidr.endsWith('/0');
}

/** The error naming a variable and its template parameter. */
export function configurationError(variable: RouteConfigVariable, message: string): ConfigurationError {
  const parameter = PARAMETER_OF[variable];
  return new ConfigurationError(variable, `${message}${parameter ? ` (template parameter ${parameter})` : ''}`);
}

type RouteConfigVariable = (typeof ROUTE_CONFIG_VARIABLES)[number];
type Env = Record<string, string | undefined>;

function text(env: Env, name: RouteConfigVariable): string {
  return env[name]?.trim() ?? '';
}

function list(env: Env, name: RouteConfigVariable): string[] {
  return [
    ...new Set(
      text(env, name)
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ];
}

function flag(env: Env, name: RouteConfigVariable, fallback: boolean): boolean {
  const value = text(env, name).toLowerCase();
  if (value === '') return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigurationError(name, `'${value}' is not true or false`);
}

function wholeNumber(env: Env, name: RouteConfigVariable, fallback: number, minimum = 0): number {
  const value = text(env, name);
  if (value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < minimum || !Number.isSafeInteger(Number(value))) {
    throw new ConfigurationError(name, `'${value}' is not a whole number >= ${minimum}`);
  }
  return Number(value);
}

function destinations(env: Env): RouteDestination[] {
  const ipv4 = list(env, 'MANAGED_CIDRS').map((value): RouteDestination => {
    const check = checkIpv4Cidr(value);
    if ('problem' in check) throw new ConfigurationError('MANAGED_CIDRS', `'${value}' ${check.problem}`);
    if (isDefaultRoute(check.cidr)) throw configurationError('MANAGED_CIDRS', `'${value}' ${DEFAULT_ROUTE_REASON}`);
    return { kind: 'ipv4-cidr', value: check.cidr };
  });
  const ipv6 = list(env, 'MANAGED_IPV6_CIDRS').map((value): RouteDestination => {
    const check = checkIpv6Cidr(value);
    if ('problem' in check) throw new ConfigurationError('MANAGED_IPV6_CIDRS', `'${value}' ${check.problem}`);
    if (isDefaultRoute(check.cidr)) {
      throw configurationError('MANAGED_IPV6_CIDRS', `'${value}' ${DEFAULT_ROUTE_REASON}`);
    }
    return { kind: 'ipv6-cidr', value: check.cidr };
  });
  const prefixLists = list(env, 'MANAGED_PREFIX_LIST_IDS').map((value): RouteDestination => {
    if (!isAwsId('pl', value)) throw new ConfigurationError('MANAGED_PREFIX_LIST_IDS', `'${value}' is not a pl- id`);
    return { kind: 'prefix-list', value };
  });
  const all = [...ipv4, ...ipv6, ...prefixLists];
  const unique = all.filter((d, i) => all.findIndex((o) => o.kind === d.kind && o.value === d.value) === i);
  if (unique.length === 0) {
    throw new ConfigurationError(
      'MANAGED_CIDRS',
      'no managed destination: set MANAGED_CIDRS, MANAGED_IPV6_CIDRS or MANAGED_PREFIX_LIST_IDS',
    );
  }
  return unique;
}

function failbackMode(env: Env): FailbackMode {
  const value = text(env, 'FAILBACK_MODE') || 'manual';
  if (value === 'automatic' || value === 'manual') return value;
  throw new ConfigurationError('FAILBACK_MODE', `'${value}' is not automatic or manual`);
}

function eipMode(env: Env): EipMode {
  const allocationId = text(env, 'EIP_ALLOCATION_ID');
  if (allocationId === '') return { mode: 'off' };
  if (!isAwsId('eipalloc', allocationId)) {
    throw new ConfigurationError('EIP_ALLOCATION_ID', `'${allocationId}' is not an eipalloc- id`);
  }
  return { mode: 'keep-on-active', allocationId };
}

function otherTargets(env: Env): OtherTargetPolicy {
  const value = text(env, 'OTHER_TARGET_ROUTES').toLowerCase() || 'hold';
  if (value === 'hold' || value === 'replace') return value;
  throw configurationError('OTHER_TARGET_ROUTES', `'${value}' is not hold or replace`);
}

const PRIMARY_PATH_KINDS: [string, PrimaryPathKind][] = [
  ['tgw', 'transit-gateway'],
  ['vgw', 'vpn-gateway'],
  ['pcx', 'vpc-peering-connection'],
];

function primaryPath(env: Env): PrimaryPath | null {
  const id = text(env, 'PRIMARY_PATH_TARGET');
  if (id === '') return null;
  const kind = PRIMARY_PATH_KINDS.find(([prefix]) => isAwsId(prefix, id))?.[1];
  if (kind === undefined) {
    throw configurationError(
      'PRIMARY_PATH_TARGET',
      `'${id}' is not a Transit Gateway (tgw-), virtual private gateway (vgw-) or peering connection (pcx-) id`,
    );
  }
  return { kind, id };
}

/** Reads and validates the route reconciler's configuration; throws `ConfigurationError` naming the variable. */
export function parseRouteConfig(env: Env): RouteConfig {
  const group = text(env, 'GROUP_NAME');
  if (group === '') throw new ConfigurationError('GROUP_NAME', 'is required');
  if (group.length > 256) throw new ConfigurationError('GROUP_NAME', 'is longer than 256 characters');

  const routeTableIds = list(env, 'MANAGED_ROUTE_TABLE_IDS');
  const badTable = routeTableIds.find((id) => !isAwsId('rtb', id));
  if (badTable !== undefined) throw new ConfigurationError('MANAGED_ROUTE_TABLE_IDS', `'${badTable}' is not a rtb- id`);
  const manageTaggedRouteTables = flag(env, 'MANAGE_TAGGED_ROUTE_TABLES', false);
  if (routeTableIds.length === 0 && !manageTaggedRouteTables) {
    throw new ConfigurationError(
      'MANAGED_ROUTE_TABLE_IDS',
      'no managed route table: set it or MANAGE_TAGGED_ROUTE_TABLES=true',
    );
  }

  const confirmationDelaySeconds = wholeNumber(env, 'CONFIRMATION_DELAY_SECONDS', 60);
  // Unset, it is 4 s, or the full delay when that is shorter; set, it may not exceed the full delay.
  const corroboratedConfirmationSeconds = wholeNumber(
    env,
    'CORROBORATED_CONFIRMATION_SECONDS',
    Math.min(4, confirmationDelaySeconds),
  );
  if (corroboratedConfirmationSeconds > confirmationDelaySeconds) {
    throw new ConfigurationError(
      'CORROBORATED_CONFIRMATION_SECONDS',
      `${corroboratedConfirmationSeconds} is longer than CONFIRMATION_DELAY_SECONDS (${confirmationDelaySeconds})`,
    );
  }

  return {
    group,
    routeTableIds,
    manageTaggedRouteTables,
    destinations: destinations(env),
    requireAgentReports: flag(env, 'REQUIRE_AGENT_REPORTS', true),
    agentStaleAfterSeconds: wholeNumber(env, 'AGENT_STALE_AFTER_SECONDS', 180, 1),
    confirmationDelaySeconds,
    corroboratedConfirmationSeconds,
    cooldownSeconds: wholeNumber(env, 'COOLDOWN_SECONDS', 300),
    failback: { mode: failbackMode(env), stableSeconds: wholeNumber(env, 'FAILBACK_STABLE_SECONDS', 600) },
    maxChangesPerRun: wholeNumber(env, 'MAX_CHANGES_PER_RUN', 20, 1),
    maxActionsPerExecution: wholeNumber(env, 'MAX_ACTIONS_PER_ROUND', 250, 1),
    eip: eipMode(env),
    otherTargets: otherTargets(env),
    primaryPath: primaryPath(env),
  };
}

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
