import * as rules from '../config.js';
import { dnsNameProblem, normaliseDnsName } from '../dns-chain.js';
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

function port(text: string, position: number): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw rules.configurationError(PROBE_ENV.ports, `entry ${position} "${text}" is not a TCP port (1 to 65535)`);
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
  const fail = (variable: string, message: string) => rules.configurationError(variable, message);
  const variable = PROBE_ENV.ports;
  if (nameList.length === 0)
    throw fail(namesVariable, 'no name to probe: set names to probe, or the resolver tracked names');
  const ports = portTexts.map((text, i) => port(text, i + 1));
  if (ports.length === 0) throw fail(variable, `every name needs a port; none is set (names: ${nameList.join(', ')})`);
  if (ports.length > nameList.length)
    throw fail(
      variable,
      `${ports.length} ports for ${nameList.length} names: the port list is longer than the names (${nameList.join(', ')})`,
    );
  if (ports.length > 1 && ports.length < nameList.length)
    throw fail(
      variable,
      `the name ${nameList[ports.length]} has no port: give one port per name, in order, or one port for all`,
    );
  return nameList.map((name, i) => ({ name, port: ports.length === 1 ? ports[0]! : ports[i]! }));
}

/** Names to probe as a person types them: DNS names (RFC 1035 lengths), each once. */
const dnsNames = rules.rule((text) =>
  rules.distinct(
    rules.items(text).map((raw) => {
      const name = normaliseDnsName(raw);
      const problem = dnsNameProblem(name);
      return problem ? rules.reject(problem) : name;
    }),
  ),
);

const probeShape = {
  PROBE_NAMES: dnsNames,
  PROBE_PORTS: rules.rule(rules.items),
  PROBE_VPC_CIDR: rules.rule((text) => {
    if (text === '') return rules.reject('is required: the probe asks the VPC resolver at its base address + 2');
    try {
      return vpcResolverAddress(text);
    } catch {
      return rules.reject(`"${text}" is not an IPv4 CIDR of a VPC`);
    }
  }),
  PROBE_DNS_TIMEOUT_MS: rules.rule(rules.wholeNumber(1000, 1)),
  PROBE_DNS_TRIES: rules.rule(rules.wholeNumber(2, 1)),
  PROBE_TCP_TIMEOUT_MS: rules.rule(rules.wholeNumber(2000, 1)),
  ...rules.vendorCidrShape,
  RESOLVER_TRACKED_NAMES: rules.domainNames,
  RESOLVER_STATIC_DOMAINS: rules.domainNames,
  RESOLVER_STATE_MACHINE_ARN: rules.rule(rules.optionalText),
};

function probeConfigOf(v: rules.ReconcilerValues<typeof probeShape>): ProbeConfig {
  const explicit = v.PROBE_NAMES;
  const resolverNames = rules.distinct([...v.RESOLVER_TRACKED_NAMES, ...v.RESOLVER_STATIC_DOMAINS]);
  const targets = probeTargets(
    explicit.length > 0 ? explicit : resolverNames,
    v.PROBE_PORTS,
    explicit.length > 0 ? PROBE_ENV.names : PROBE_ENV.trackedNames,
  );
  const vendorRanges = [...v.MANAGED_CIDRS, ...v.MANAGED_IPV6_CIDRS].map((cidr) => parseRange(cidr)!);
  if (vendorRanges.length === 0)
    throw rules.configurationError(
      PROBE_ENV.vendorCidrs,
      'the vendor ranges are needed to tell a private answer from a public one',
    );
  return {
    groupName: v.GROUP_NAME,
    targets,
    resolverAddress: v.PROBE_VPC_CIDR,
    vendorRanges,
    dnsTimeoutMs: v.PROBE_DNS_TIMEOUT_MS,
    dnsTries: v.PROBE_DNS_TRIES,
    tcpTimeoutMs: v.PROBE_TCP_TIMEOUT_MS,
    resolverNames,
    ...(v.RESOLVER_STATE_MACHINE_ARN ? { resolverStateMachineArn: v.RESOLVER_STATE_MACHINE_ARN } : {}),
  };
}

const probeSchema = rules.reconcilerSchema(probeShape, probeConfigOf);

/** Reads and validates the probe's configuration; throws ConfigurationError naming the first bad variable. */
export const parseProbeConfig: (env: rules.Env) => ProbeConfig = probeSchema.config;

/** The configuration plus STATE_TABLE and NOTIFICATION_TOPIC_ARN: what the probe reads at cold start. */
export const parseProbeEnvironment = probeSchema.environment;
