import { InvalidInputError } from '../errors.js';
import { type AddressRange, formatIp, inRanges, parseRange } from '../ip.js';

export { type AddressRange, inRanges, parseRange } from '../ip.js';

import type { DnsVerdict, NameProbe, NameState, ProbeRecord, VerdictChange, VpcDnsAnswer } from './types.js';

export const EMPTY_PROBE_RECORD: ProbeRecord = { names: {}, lastRunAt: null, resolverWokenAt: null, revision: 0 };

/**
 * The VPC's Route 53 Resolver: the VPC's primary IPv4 CIDR base plus two (Amazon VPC documents the
 * "VPC+2" address as the one instances and Lambda functions in the VPC ask).
 */
export function vpcResolverAddress(vpcCidr: string): string {
  const range = parseRange(vpcCidr);
  if (range?.family !== 4) throw new InvalidInputError('vpcCidr', `"${vpcCidr}" is not an IPv4 CIDR`);
  if (range.last - range.first < 3n) throw new InvalidInputError('vpcCidr', `"${vpcCidr}" is too small for a VPC`);
  const value = range.first + 2n;
  return formatIp({ family: 4, value });
}

/**
 * Classifies the VPC resolver's answer. Vendor-private: every address is in the vendor's ranges, as the
 * vendor's DNS answers it through the forward rules; public: an address outside them, which is what the
 * VPC's resolver gives when a name of the chain has no forward rule (the connection would not enter the
 * tunnel).
 */
export function classifyDns(
  answer: VpcDnsAnswer,
  vendorRanges: readonly AddressRange[],
): { verdict: DnsVerdict; addresses: string[]; detail?: string } {
  switch (answer.kind) {
    case 'addresses': {
      const addresses = [...answer.addresses].sort();
      if (addresses.length === 0) return { verdict: 'no-address', addresses };
      const outside = addresses.filter((a) => !inRanges(a, vendorRanges));
      if (outside.length === 0) return { verdict: 'vendor-private', addresses };
      return { verdict: 'public', addresses, detail: `outside the vendor ranges: ${outside.join(', ')}` };
    }
    case 'nxdomain':
      return { verdict: 'nxdomain', addresses: [] };
    case 'nodata':
      return { verdict: 'no-address', addresses: [] };
    case 'servfail':
      return { verdict: 'servfail', addresses: [] };
    case 'timeout':
      return { verdict: 'timeout', addresses: [] };
    case 'error':
      return { verdict: 'error', addresses: [], detail: answer.detail };
  }
}

/** The one word a run reports per name: `reachable`, or the first thing that failed. */
export function verdictOf(probe: Pick<NameProbe, 'dns' | 'tcp'>): string {
  if (probe.dns.verdict !== 'vendor-private') return `dns:${probe.dns.verdict}`;
  if (probe.tcp.verdict !== 'open') return `tcp:${probe.tcp.verdict}`;
  return 'reachable';
}

function secondsBetween(from: string, to: string): number {
  return Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
}

/**
 * The record after a run that started probing at `now`, and the verdicts that changed. A name seen for
 * the first time counts as a change only when it is unreachable, so a healthy first run tells nobody.
 * A name no longer probed drops out of the record. A run that started before the one that last wrote
 * the record (a slow scheduled run overtaken by one after a failover) is stale: it changes nothing.
 */
export function nextProbeRecord(
  previous: ProbeRecord,
  probes: readonly NameProbe[],
  now: string,
): { record: ProbeRecord; changes: VerdictChange[]; stale: boolean } {
  if (previous.lastRunAt && Date.parse(previous.lastRunAt) > Date.parse(now))
    return { record: previous, changes: [], stale: true };
  const names: Record<string, NameState> = {};
  const changes: VerdictChange[] = [];
  for (const probe of probes) {
    const before = previous.names[probe.name];
    const verdict = verdictOf(probe);
    const reachable = verdict === 'reachable';
    const changed = before ? before.verdict !== verdict : !reachable;
    const unreachableSince = reachable ? null : (before?.unreachableSince ?? now);
    names[probe.name] = {
      verdict,
      since: before && !changed ? before.since : now,
      unreachableSince,
      lastProbedAt: now,
      dns: probe.dns.verdict,
      tcp: probe.tcp.verdict,
    };
    if (!changed) continue;
    const change: VerdictChange = { name: probe.name, from: before?.verdict ?? null, to: verdict, at: now };
    if (reachable && before?.unreachableSince) {
      change.unreachableSince = before.unreachableSince;
      change.downSeconds = secondsBetween(before.unreachableSince, now);
    }
    changes.push(change);
  }
  return {
    record: { names, lastRunAt: now, resolverWokenAt: previous.resolverWokenAt, revision: previous.revision + 1 },
    changes,
    stale: false,
  };
}

/**
 * Tracked names the VPC's resolver answers publicly: a forward rule is missing or stale, which is the
 * resolver reconciler's job. Woken at most once per cooldown, and never by a run the reconciler's own
 * result started (so a reconciler that cannot fix it is not woken in a loop).
 */
export function namesForResolver(
  probes: readonly NameProbe[],
  resolverNames: readonly string[],
  options: { now: string; resolverWokenAt: string | null; cooldownSeconds: number; triggeredByResolver: boolean },
): string[] {
  if (options.triggeredByResolver) return [];
  if (options.resolverWokenAt && secondsBetween(options.resolverWokenAt, options.now) < options.cooldownSeconds)
    return [];
  const tracked = new Set(resolverNames);
  return probes.filter((p) => p.dns.verdict === 'public' && tracked.has(p.name)).map((p) => p.name);
}

/** The address a TCP probe uses: the first vendor address, in a stable order. */
export function tcpAddressOf(probe: Pick<NameProbe, 'dns'>): string | undefined {
  return probe.dns.verdict === 'vendor-private' ? probe.dns.addresses[0] : undefined;
}
