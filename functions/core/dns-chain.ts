/**
 * The CNAME chain of a tracked name, walked one link at a time through an injected lookup.
 * Pure: every answer comes from `lookup`, so the walk runs the same against node:dns, the
 * simulated vendor DNS server or a table in a test.
 */

/** Why a link could not be told to exist or not: the walk must not act on such a chain. */
export type UnknownReason = 'timeout' | 'servfail' | 'refused' | 'unreachable' | 'error';

export interface DnsAddress {
  address: string;
  /** Seconds, when the lookup could see it. */
  ttl?: number;
}

/** What the vendor's DNS servers say about one name. */
export type LinkAnswer =
  | { kind: 'cname'; target: string; ttl?: number }
  | { kind: 'addresses'; addresses: DnsAddress[] }
  | { kind: 'nxdomain' }
  | { kind: 'nodata' }
  | { kind: 'unknown'; reason: UnknownReason; detail?: string };

export type DnsLookup = (name: string) => Promise<LinkAnswer>;

export type ChainResult =
  | {
      status: 'resolved';
      /** The tracked name first, then every CNAME target in order; the last one holds the addresses. */
      chain: string[];
      /** Empty when the last name exists but has no A or AAAA record (NODATA). */
      addresses: DnsAddress[];
      /** The smallest TTL seen along the chain, in seconds; absent when no TTL was visible. */
      ttl?: number;
    }
  | { status: 'nxdomain'; chain: string[]; missing: string }
  | { status: 'unknown'; chain: string[]; at: string; reason: UnknownReason; detail?: string }
  | { status: 'invalid'; chain: string[]; problem: 'loop' | 'too-deep' | 'bad-name'; detail: string };

export interface WalkOptions {
  /** CNAME links followed before the chain is called too deep. */
  maxDepth?: number;
}

export const DEFAULT_MAX_CNAME_DEPTH = 10;

/** Lower case, without the trailing dot: the one spelling names are compared and stored in. */
export function normaliseDnsName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** Why a name is not a valid DNS name (RFC 1035 2.3.4 lengths), or undefined when it is. */
export function dnsNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > 253) return `the name is longer than 253 characters: ${name}`;
  const labels = name.split('.');
  if (labels.some((label) => label === '')) return `the name has an empty label: ${name}`;
  if (labels.some((label) => label.length > 63)) return `the name has a label longer than 63 characters: ${name}`;
  if (/\s/.test(name)) return `the name contains white space: ${name}`;
  return undefined;
}

/** Follows name's CNAME chain to its addresses, stopping at the first link that settles the outcome. */
export async function walkCnameChain(name: string, lookup: DnsLookup, options: WalkOptions = {}): Promise<ChainResult> {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_CNAME_DEPTH;
  if (!(Number.isInteger(maxDepth) && maxDepth >= 0)) {
    throw new RangeError(`maxDepth must be a non-negative integer, got ${maxDepth}`);
  }
  let current = normaliseDnsName(name);
  const chain = [current];
  const ttls: number[] = [];
  for (;;) {
    const problem = dnsNameProblem(current);
    if (problem) return { status: 'invalid', chain, problem: 'bad-name', detail: problem };
    const answer = await safeLookup(lookup, current);
    switch (answer.kind) {
      case 'addresses':
        for (const a of answer.addresses) if (a.ttl !== undefined) ttls.push(a.ttl);
        return resolved(chain, answer.addresses, ttls);
      case 'nodata':
        return resolved(chain, [], ttls);
      case 'nxdomain':
        return { status: 'nxdomain', chain, missing: current };
      case 'unknown':
        return {
          status: 'unknown',
          chain,
          at: current,
          reason: answer.reason,
          ...(answer.detail === undefined ? {} : { detail: answer.detail }),
        };
      case 'cname': {
        if (answer.ttl !== undefined) ttls.push(answer.ttl);
        const target = normaliseDnsName(answer.target);
        if (chain.includes(target)) {
          return {
            status: 'invalid',
            chain: [...chain, target],
            problem: 'loop',
            detail: `CNAME loop: ${[...chain, target].join(' -> ')}`,
          };
        }
        chain.push(target);
        if (chain.length - 1 > maxDepth) {
          return {
            status: 'invalid',
            chain,
            problem: 'too-deep',
            detail: `CNAME chain longer than ${maxDepth} links: ${chain.join(' -> ')}`,
          };
        }
        current = target;
      }
    }
  }
}

function resolved(chain: string[], addresses: DnsAddress[], ttls: number[]): ChainResult {
  return { status: 'resolved', chain, addresses, ...(ttls.length ? { ttl: Math.min(...ttls) } : {}) };
}

/** A lookup that throws is treated as an unknown answer: the walk never rejects. */
async function safeLookup(lookup: DnsLookup, name: string): Promise<LinkAnswer> {
  try {
    return await lookup(name);
  } catch (err) {
    return { kind: 'unknown', reason: 'error', detail: err instanceof Error ? err.message : String(err) };
  }
}
