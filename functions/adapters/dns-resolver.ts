import { Resolver } from 'node:dns/promises';
import { mapLimit } from '../commons/concurrency.js';
import {
  type ChainResult,
  type DnsAddress,
  type DnsLookup,
  type LinkAnswer,
  normaliseDnsName,
  walkCnameChain,
} from '../core/dns-chain.js';
import {
  type NameResolution,
  nameResolutions,
  type ResolverConfig,
  type ResolverTuning,
  targetKey,
} from '../core/resolver-rules/index.js';

export interface DnsLookupOptions {
  /** The vendor's DNS servers: 'ip', 'ip:port' or '[v6]:port', as node:dns setServers takes them. */
  servers: string[];
  /** Per try, in ms. */
  timeoutMs: number;
  /** Tries per server before a query is called timed out. */
  tries: number;
}

export class DnsLookupConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsLookupConfigError';
  }
}

/** node:dns (c-ares) error codes and what they tell about a name; anything else is unknown. */
const ERROR_ANSWERS: Record<string, LinkAnswer> = {
  ENOTFOUND: { kind: 'nxdomain' },
  ENODATA: { kind: 'nodata' },
  ESERVFAIL: { kind: 'unknown', reason: 'servfail' },
  ETIMEOUT: { kind: 'unknown', reason: 'timeout' },
  EREFUSED: { kind: 'unknown', reason: 'refused' },
  ECONNREFUSED: { kind: 'unknown', reason: 'unreachable' },
};

/** What a node:dns rejection says about the name asked for. */
export function answerFromDnsError(err: unknown): LinkAnswer {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const known = code === undefined ? undefined : ERROR_ANSWERS[code];
  if (known) return known.kind === 'unknown' ? { ...known, detail: code } : known;
  return { kind: 'unknown', reason: 'error', detail: code ?? (err instanceof Error ? err.message : String(err)) };
}

/**
 * One link of a chain as the Lambda function in the VPC sees it, asking the vendor's DNS servers
 * directly. A CNAME question first (not chased by the server, so each alias is seen), then A and
 * AAAA together for a name that is not an alias. c-ares retries over TCP by itself when a UDP
 * answer comes back truncated.
 *
 * TTLs: node:dns gives none for CNAME records (resolveCname has no ttl option), only for A and AAAA
 * (`{ ttl: true }`), so a CNAME link's ttl is always absent here.
 * Caching: Node 22 turns the c-ares query cache off (nodejs/node#57640), so every call asks the
 * server; create one lookup per run all the same, so nothing outlives a run if that changes.
 */
export function createDnsLookup(options: DnsLookupOptions): DnsLookup {
  const { servers, timeoutMs, tries } = options;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new DnsLookupConfigError('servers must list at least one vendor DNS server');
  }
  if (!(Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    throw new DnsLookupConfigError(`timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  if (!(Number.isInteger(tries) && tries > 0)) {
    throw new DnsLookupConfigError(`tries must be a positive integer, got ${tries}`);
  }
  // The one owner of a lost or late DNS answer: c-ares's own tries. Nothing above retries a lookup: an
  // unanswered name is 'unknown', the plan is degraded (nothing retired) and the next run asks again.
  const resolver = new Resolver({ timeout: timeoutMs, tries });
  try {
    resolver.setServers(servers);
  } catch (err) {
    throw new DnsLookupConfigError(`servers has an invalid entry (${servers.join(', ')}): ${(err as Error).message}`);
  }

  return async (name) => {
    try {
      const [target] = await resolver.resolveCname(name);
      if (target !== undefined) return { kind: 'cname', target };
      return { kind: 'nodata' };
    } catch (err) {
      const answer = answerFromDnsError(err);
      if (answer.kind !== 'nodata') return answer;
    }
    const [v4, v6] = await Promise.all([
      resolver.resolve4(name, { ttl: true }).then(addresses, answerFromDnsError),
      resolver.resolve6(name, { ttl: true }).then(addresses, answerFromDnsError),
    ]);
    return endOfChain(v4, v6);
  };
}

function addresses(records: { address: string; ttl: number }[]): LinkAnswer {
  return { kind: 'addresses', addresses: records.map(({ address, ttl }): DnsAddress => ({ address, ttl })) };
}

/** Combines the A and AAAA answers: any address settles it; otherwise the less certain answer wins. */
function endOfChain(v4: LinkAnswer, v6: LinkAnswer): LinkAnswer {
  const found = [v4, v6].flatMap((a) => (a.kind === 'addresses' ? a.addresses : []));
  if (found.length > 0) return { kind: 'addresses', addresses: found };
  if (v4.kind === 'unknown') return v4;
  if (v6.kind === 'unknown') return v6;
  if (v4.kind === 'nxdomain' || v6.kind === 'nxdomain') return { kind: 'nxdomain' };
  // A CNAME that appeared between the two questions: the next run follows it.
  if (v4.kind === 'cname' || v6.kind === 'cname') return { kind: 'unknown', reason: 'error', detail: 'name changed' };
  return { kind: 'nodata' };
}

export interface ResolveChainsOptions {
  maxDepth?: number;
  /** Chains walked at once. */
  concurrency?: number;
}

/**
 * Walks every name's chain, at most `concurrency` at a time. Each distinct name is looked up once
 * per call, so names whose chains meet cost one query for the shared part and see the same answer.
 * The map is keyed by normalised name (lower case, no trailing dot).
 */
export async function resolveChains(
  names: string[],
  lookup: DnsLookup,
  options: ResolveChainsOptions = {},
): Promise<Map<string, ChainResult>> {
  const answers = new Map<string, Promise<LinkAnswer>>();
  const once: DnsLookup = (name) => {
    let answer = answers.get(name);
    if (!answer) {
      answer = lookup(name);
      answers.set(name, answer);
    }
    return answer;
  };
  const distinct = [...new Set(names.map(normaliseDnsName))];
  const results = await mapLimit(distinct, options.concurrency ?? 8, (name) =>
    walkCnameChain(name, once, { maxDepth: options.maxDepth }),
  );
  return new Map(distinct.map((name, i) => [name, results[i]!]));
}

/** Walks every tracked name's CNAME chain through the vendor's DNS servers, asked directly, as the plan reads them. */
export async function resolveTrackedNames(
  config: Pick<ResolverConfig, 'trackedNames' | 'targetIps'>,
  tuning: Pick<ResolverTuning, 'dnsTimeoutMs' | 'dnsTries' | 'maxCnameDepth' | 'dnsConcurrency'>,
): Promise<Record<string, NameResolution>> {
  if (config.trackedNames.length === 0) return {};
  const lookup = createDnsLookup({
    servers: config.targetIps.map(targetKey),
    timeoutMs: tuning.dnsTimeoutMs,
    tries: tuning.dnsTries,
  });
  const chains = await resolveChains(config.trackedNames, lookup, {
    maxDepth: tuning.maxCnameDepth,
    concurrency: tuning.dnsConcurrency,
  });
  return nameResolutions(chains);
}
