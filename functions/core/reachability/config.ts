import { dnsNameProblem, normaliseDnsName } from '../dns-chain.js';
import { ConfigurationError } from '../errors.js';
import type { ProbeTarget } from './types.js';
import { type AddressRange, parseRange, vpcResolverAddress } from './verdicts.js';

/**
 * Environment variables of the reachability probe, and the template parameters they come from:
 *   PROBE_NAMES             ProbeNames: names probed; empty means the resolver's tracked names, then its static domains
 *   PROBE_PORTS             ProbePorts: the TCP port of each name, in the same order; one port applies to every name
 *   PROBE_VPC_CIDR          ProbeVpcCidr: the VPC's primary IPv4 CIDR; its resolver is the base address + 2
 *   PROBE_DNS_TIMEOUT_MS    ProbeDnsTimeoutMs (default 1000), per try, PROBE_DNS_TRIES (default 2)
 *   PROBE_TCP_TIMEOUT_MS    ProbeTcpTimeoutMs (default 2000): the connect deadline
 *   MANAGED_CIDRS, MANAGED_IPV6_CIDRS   VendorCidrs, VendorIpv6Cidrs: what counts as the vendor's private address
 *   RESOLVER_TRACKED_NAMES, RESOLVER_STATIC_DOMAINS   the resolver reconciler's names (woken for these)
 *   RESOLVER_STATE_MACHINE_ARN   the resolver reconciler to wake; empty when it is not in the stack
 */
export const PROBE_ENV = {
  groupName: 'GROUP_NAME',
  names: 'PROBE_NAMES',
  ports: 'PROBE_PORTS',
  vpcCidr: 'PROBE_VPC_CIDR',
  dnsTimeoutMs: 'PROBE_DNS_TIMEOUT_MS',
  dnsTries: 'PROBE_DNS_TRIES',
  tcpTimeoutMs: 'PROBE_TCP_TIMEOUT_MS',
  vendorCidrs: 'MANAGED_CIDRS',
  vendorIpv6Cidrs: 'MANAGED_IPV6_CIDRS',
  trackedNames: 'RESOLVER_TRACKED_NAMES',
  staticDomains: 'RESOLVER_STATIC_DOMAINS',
  resolverStateMachineArn: 'RESOLVER_STATE_MACHINE_ARN',
} as const;

/** The template parameter behind each variable, so an error names what the operator sets. */
const PARAMETER: Record<string, string> = {
  PROBE_NAMES: 'ProbeNames',
  PROBE_PORTS: 'ProbePorts',
  PROBE_VPC_CIDR: 'ProbeVpcCidr',
  PROBE_DNS_TIMEOUT_MS: 'ProbeDnsTimeoutMs',
  PROBE_DNS_TRIES: 'ProbeDnsTries',
  PROBE_TCP_TIMEOUT_MS: 'ProbeTcpTimeoutMs',
  MANAGED_CIDRS: 'VendorCidrs',
  MANAGED_IPV6_CIDRS: 'VendorIpv6Cidrs',
  RESOLVER_TRACKED_NAMES: 'ResolverTrackedNames',
  RESOLVER_STATIC_DOMAINS: 'ResolverStaticDomains',
};

export interface ProbeConfig {
  groupName: string;
  targets: ProbeTarget[];
  /** The VPC resolver, `ip:53`. */
  resolverAddress: string;
  vendorRanges: AddressRange[];
  dnsTimeoutMs: number;
  dnsTries: number;
  tcpTimeoutMs: number;
  /** Names the resolver reconciler keeps rules for: a public answer for one of them wakes it. */
  resolverNames: string[];
  resolverStateMachineArn?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function fail(variable: string, message: string): never {
  const parameter = PARAMETER[variable];
  throw new ConfigurationError(variable, parameter ? `${message} (template parameter ${parameter})` : message);
}

function list(env: Env, variable: string): string[] {
  return (env[variable] ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function names(env: Env, variable: string): string[] {
  const out: string[] = [];
  for (const raw of list(env, variable)) {
    const name = normaliseDnsName(raw);
    const problem = dnsNameProblem(name);
    if (problem) fail(variable, problem);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

function port(variable: string, text: string, position: number): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    fail(variable, `entry ${position} "${text}" is not a TCP port (1 to 65535)`);
  return Number(text);
}

function positive(env: Env, variable: string, fallback: number): number {
  const text = env[variable]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) fail(variable, `"${text}" is not a whole number of at least 1`);
  return Number(text);
}

/**
 * Pairs every probed name with its port. A name without a port, an invalid port, or more ports than
 * names is a ConfigurationError naming the variable and its template parameter, before any probe.
 */
export function probeTargets(
  nameList: readonly string[],
  portTexts: readonly string[],
  namesVariable: string,
): ProbeTarget[] {
  const variable = PROBE_ENV.ports;
  if (nameList.length === 0) fail(namesVariable, 'no name to probe: set names to probe, or the resolver tracked names');
  const ports = portTexts.map((text, i) => port(variable, text, i + 1));
  if (ports.length === 0) fail(variable, `every name needs a port; none is set (names: ${nameList.join(', ')})`);
  if (ports.length > nameList.length)
    fail(
      variable,
      `${ports.length} ports for ${nameList.length} names: the port list is longer than the names (${nameList.join(', ')})`,
    );
  if (ports.length > 1 && ports.length < nameList.length)
    fail(
      variable,
      `the name ${nameList[ports.length]} has no port: give one port per name, in order, or one port for all`,
    );
  return nameList.map((name, i) => ({ name, port: ports.length === 1 ? ports[0]! : ports[i]! }));
}

/** Reads and validates the probe's configuration; throws ConfigurationError naming the first bad variable. */
export function parseProbeConfig(env: Env): ProbeConfig {
  const groupName = env[PROBE_ENV.groupName]?.trim();
  if (!groupName) throw new ConfigurationError(PROBE_ENV.groupName, 'is required');
  const trackedNames = names(env, PROBE_ENV.trackedNames);
  const staticDomains = names(env, PROBE_ENV.staticDomains);
  const explicit = names(env, PROBE_ENV.names);
  const nameList = explicit.length > 0 ? explicit : [...new Set([...trackedNames, ...staticDomains])];
  const targets = probeTargets(
    nameList,
    list(env, PROBE_ENV.ports),
    explicit.length > 0 ? PROBE_ENV.names : PROBE_ENV.trackedNames,
  );

  const cidr = env[PROBE_ENV.vpcCidr]?.trim();
  if (!cidr) fail(PROBE_ENV.vpcCidr, 'is required: the probe asks the VPC resolver at its base address + 2');
  let resolverAddress: string;
  try {
    resolverAddress = vpcResolverAddress(cidr);
  } catch {
    fail(PROBE_ENV.vpcCidr, `"${cidr}" is not an IPv4 CIDR of a VPC`);
  }
  const vendorRanges: AddressRange[] = [];
  for (const variable of [PROBE_ENV.vendorCidrs, PROBE_ENV.vendorIpv6Cidrs]) {
    for (const text of list(env, variable)) {
      const range = parseRange(text);
      if (!range) fail(variable, `"${text}" is not a CIDR`);
      vendorRanges.push(range);
    }
  }
  if (vendorRanges.length === 0)
    fail(PROBE_ENV.vendorCidrs, 'the vendor ranges are needed to tell a private answer from a public one');
  const arn = env[PROBE_ENV.resolverStateMachineArn]?.trim();
  return {
    groupName,
    targets,
    resolverAddress,
    vendorRanges,
    dnsTimeoutMs: positive(env, PROBE_ENV.dnsTimeoutMs, 1000),
    dnsTries: positive(env, PROBE_ENV.dnsTries, 2),
    tcpTimeoutMs: positive(env, PROBE_ENV.tcpTimeoutMs, 2000),
    resolverNames: [...trackedNames, ...staticDomains],
    ...(arn ? { resolverStateMachineArn: arn } : {}),
  };
}
