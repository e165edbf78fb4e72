import * as z from 'zod';
import { ConfigurationError } from './errors.js';
import { type CidrCheck, checkIpv4Cidr, checkIpv6Cidr } from './ip.js';
import { domainNameProblem, normaliseDomainName } from './resolver-rules/domain-names.js';

// Every environment variable the functions read has exactly one rule here, whichever reconciler reads
// it; each reconciler's schema (routes/config.ts, resolver-rules/config.ts, reachability/config.ts)
// picks its variables from these rules and adds the checks that involve more than one variable. A
// schema is parsed once per cold start; the first bad variable fails it with a ConfigurationError
// naming the variable and, when an operator sets it through one, its template parameter.

export type Env = Readonly<Record<string, string | undefined>>;

/** The template parameter each variable comes from, so an operator reads the name they set. */
const TEMPLATE_PARAMETER: Readonly<Record<string, string>> = {
  GROUP_NAME: 'GroupName',
  MANAGED_ROUTE_TABLE_IDS: 'ManagedRouteTableIds',
  MANAGE_TAGGED_ROUTE_TABLES: 'ManageTaggedRouteTables',
  MANAGED_CIDRS: 'VendorCidrs',
  MANAGED_IPV6_CIDRS: 'VendorIpv6Cidrs',
  MANAGED_PREFIX_LIST_IDS: 'VendorPrefixListIds',
  REQUIRE_AGENT_REPORTS: 'RequireAgentReports',
  AGENT_STALE_AFTER_SECONDS: 'AgentStaleAfterSeconds',
  CONFIRMATION_DELAY_SECONDS: 'ConfirmationDelaySeconds',
  CORROBORATED_CONFIRMATION_SECONDS: 'CorroboratedConfirmationSeconds',
  COOLDOWN_SECONDS: 'CooldownSeconds',
  FAILBACK_MODE: 'FailbackMode',
  FAILBACK_STABLE_SECONDS: 'FailbackStableSeconds',
  MAX_CHANGES_PER_RUN: 'MaxChangesPerRun',
  MAX_ACTIONS_PER_ROUND: 'MaxActionsPerRound',
  EIP_ALLOCATION_ID: 'ElasticIpAllocationId',
  OTHER_TARGET_ROUTES: 'OtherTargetRoutes',
  PRIMARY_PATH_TARGET: 'PrimaryPathTarget',
  RESOLVER_STATIC_DOMAINS: 'ResolverStaticDomains',
  RESOLVER_TRACKED_NAMES: 'ResolverTrackedNames',
  RESOLVER_TARGET_IPS: 'VendorDnsTargets',
  RESOLVER_OUTBOUND_ENDPOINT_ID: 'OutboundResolverEndpointId',
  RESOLVER_VPC_IDS: 'ResolverVpcIds',
  RESOLVER_GRACE_PERIOD_SECONDS: 'ResolverGracePeriodSeconds',
  RESOLVER_MAX_CHANGES: 'ResolverMaxChangesPerRun',
  RESOLVER_DNS_TIMEOUT_MS: 'ResolverDnsTimeoutMs',
  RESOLVER_DNS_TRIES: 'ResolverDnsTries',
  PROBE_NAMES: 'ProbeNames',
  PROBE_PORTS: 'ProbePorts',
  PROBE_VPC_CIDR: 'ProbeVpcCidr',
  PROBE_DNS_TIMEOUT_MS: 'ProbeDnsTimeoutMs',
  PROBE_DNS_TRIES: 'ProbeDnsTries',
  PROBE_TCP_TIMEOUT_MS: 'ProbeTcpTimeoutMs',
};

/** The error naming a variable and, when it has one, its template parameter. */
export function configurationError(variable: string, message: string): ConfigurationError {
  const parameter = TEMPLATE_PARAMETER[variable];
  return new ConfigurationError(variable, `${message}${parameter ? ` (template parameter ${parameter})` : ''}`);
}

/** Thrown inside a rule to reject the variable's value; `parseEnvironment` turns it into a ConfigurationError. */
class Rejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Rejected';
  }
}

/** Runs a rule's reading outside an environment (a value stored elsewhere), naming `source` when it rejects. */
export function readChecked<T>(source: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof Rejected) throw configurationError(source, error.message);
    throw error;
  }
}

/** Rejects the value a rule is reading, with the reason in words. */
export function reject(message: string): never {
  throw new Rejected(message);
}

/**
 * One variable's rule: `read` gets the trimmed text ('' when unset) and returns the value or calls
 * `reject`. A zod schema, so that a reconciler's configuration is one `z.object` of its variables.
 */
export function rule<T>(read: (text: string) => T): z.ZodType<T, string | undefined> {
  return z
    .string()
    .optional()
    .transform((value, ctx) => {
      try {
        return read(value?.trim() ?? '');
      } catch (error) {
        if (!(error instanceof Rejected)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }) as unknown as z.ZodType<T, string | undefined>;
}

/** The comma-separated items of a list variable, trimmed, empty ones dropped. */
export function items(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** Each item once, in first-seen order. */
export function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** Refuses an item listed twice (after normalising), naming it. */
export function once<T>(values: T[], key: (value: T) => string): T[] {
  const seen = new Set<string>();
  for (const value of values) {
    const k = key(value);
    if (seen.has(k)) reject(`"${k}" is listed twice`);
    seen.add(k);
  }
  return values;
}

// The building blocks of the rules below.

export function required(text: string): string {
  return text === '' ? reject('is required') : text;
}

export function flag(fallback: boolean): (text: string) => boolean {
  return (text) => {
    const value = text.toLowerCase();
    if (value === '') return fallback;
    if (value === 'true' || value === 'false') return value === 'true';
    return reject(`'${value}' is not true or false`);
  };
}

export function wholeNumber(fallback: number, minimum = 0): (text: string) => number {
  return (text) => {
    if (text === '') return fallback;
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < minimum) {
      return reject(`'${text}' is not a whole number >= ${minimum}`);
    }
    return Number(text);
  };
}

/** A whole number whose default depends on other variables: undefined when unset. */
export function optionalWholeNumber(minimum = 0): (text: string) => number | undefined {
  return (text) => (text === '' ? undefined : wholeNumber(0, minimum)(text));
}

export function optionalText(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/**
 * The gateway group, in every reconciler: it names the tag on the group's instances, the state
 * table's partition and the Route 53 Resolver rules (whose names take letters, digits, '-', '_'
 * and spaces). The template's GroupName pattern (lower case, at most 40) is stricter still.
 */
export const GROUP_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

const groupName = rule((text) =>
  GROUP_NAME_PATTERN.test(required(text))
    ? text
    : reject(`"${text}" is not valid (expected letters, digits, - and _, at most 128)`),
);

/** Where every function keeps its state, and where notifications go (both set by the template, not by an operator). */
const deploymentShape = {
  STATE_TABLE: rule(required),
  NOTIFICATION_TOPIC_ARN: rule(optionalText),
};

export interface Deployment {
  stateTable: string;
  notificationTargets: { topicArn?: string };
}

function deploymentOf(values: ValuesOf<typeof deploymentShape>): Deployment {
  return {
    stateTable: values.STATE_TABLE,
    notificationTargets: values.NOTIFICATION_TOPIC_ARN ? { topicArn: values.NOTIFICATION_TOPIC_ARN } : {},
  };
}

/** The values a shape of rules reads. */
export type ValuesOf<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

/** The values a reconciler's shape reads, with the GROUP_NAME every reconciler reads. */
export type ReconcilerValues<S extends z.ZodRawShape> = ValuesOf<S> & { GROUP_NAME: string };

/**
 * A reconciler's schema: its variables' rules, then `build`, which shapes the values and applies the
 * checks across variables (it throws `configurationError` naming the variable at fault). `build` runs
 * only when every variable passed its own rule.
 */
export function schemaOf<S extends z.ZodRawShape, T>(
  shape: S,
  build: (values: z.output<z.ZodObject<S>>) => T,
): z.ZodType<T, Env> {
  return z.object(shape).transform((values) => build(values)) as unknown as z.ZodType<T, Env>;
}

/**
 * A reconciler's two readings of one schema: `config`, its configuration alone (what the core and the
 * operator CLI read), and `environment`, what its functions read at cold start: the configuration, the
 * values of `extraShape` (tuning) and the deployment (STATE_TABLE, NOTIFICATION_TOPIC_ARN).
 */
export function reconcilerSchema<
  S extends z.ZodRawShape,
  C,
  X extends z.ZodRawShape = Record<never, never>,
  E = object,
>(
  shape: S,
  configOf: (values: ReconcilerValues<S>) => C,
  extra?: { shape: X; of: (values: ValuesOf<X>) => E },
): { config: (env: Env) => C; environment: (env: Env) => Deployment & E & { config: C } } {
  // Every reconciler reads GROUP_NAME, by the one rule.
  const configSchema = schemaOf({ GROUP_NAME: groupName, ...shape }, (values) =>
    configOf(values as unknown as ReconcilerValues<S>),
  );
  const environmentSchema = schemaOf(
    { GROUP_NAME: groupName, ...shape, ...extra?.shape, ...deploymentShape },
    (values) => ({
      config: configOf(values as unknown as ReconcilerValues<S>),
      ...(extra ? extra.of(values as unknown as ValuesOf<X>) : ({} as E)),
      ...deploymentOf(values as unknown as ValuesOf<typeof deploymentShape>),
    }),
  );
  return {
    config: (env) => parseEnvironment(configSchema, env),
    environment: (env) => parseEnvironment(environmentSchema, env) as Deployment & E & { config: C },
  };
}

/**
 * Parses the environment with a reconciler's schema. The first issue (in the order of the schema's
 * variables, then the checks across variables) becomes a ConfigurationError naming its variable.
 */
export function parseEnvironment<T>(schema: z.ZodType<T, Env>, env: Env): T {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? 'environment');
  throw configurationError(variable, issue.message);
}

// Variables more than one reconciler reads.

// The vendor VPC's internet gateway owns the default route (the vendor's own Direct Connect guidance says to
// advertise specific subnets, never 0.0.0.0/0); managing it here would send the whole VPC's internet traffic
// through a strongSwan instance, and as the probe's vendor range it would make every answer look private.
export const DEFAULT_ROUTE_REASON =
  "is a default route: managing it would send the whole VPC's internet traffic through the gateway; list the vendor's specific CIDRs";

/** True for 0.0.0.0/0 and ::/0 in canonical form (the only /0 CIDRs without host bits). */
export function isDefaultRoute(cidr: string): boolean {
  return cidr.endsWith('/0');
}

function cidrList(check: (text: string) => CidrCheck): (text: string) => string[] {
  return (text) =>
    distinct(
      items(text).map((value) => {
        const checked = check(value);
        if ('problem' in checked) return reject(`'${value}' ${checked.problem}`);
        return isDefaultRoute(checked.cidr) ? reject(`'${value}' ${DEFAULT_ROUTE_REASON}`) : checked.cidr;
      }),
    );
}

/**
 * The vendor's CIDRs, IPv4 and IPv6: canonical (RFC 5952), each once, no default route. The routes
 * manage them, the probe tells a vendor-private answer by them.
 */
export const vendorCidrShape = {
  MANAGED_CIDRS: rule(cidrList(checkIpv4Cidr)),
  MANAGED_IPV6_CIDRS: rule(cidrList(checkIpv6Cidr)),
};

/** Domain names as Route 53 Resolver rules take them: normalised, none twice. */
export function readDomainNames(values: readonly string[]): string[] {
  return once(
    values.map((item) => {
      const domain = normaliseDomainName(item);
      const problem = domainNameProblem(domain);
      return problem ? reject(problem) : domain;
    }),
    (domain) => domain,
  );
}

/** A list of domain names as Route 53 Resolver rules take them: normalised, none twice. */
export const domainNames = rule((text) => readDomainNames(items(text)));
