import { Resolver } from 'node:dns/promises';
import { createConnection } from 'node:net';
import type { NameProbe, ProbeTarget, TcpVerdict, VpcDnsAnswer } from '../core/reachability/index.js';
import { type AddressRange, classifyDns, tcpAddressOf } from '../core/reachability/index.js';

export interface ProbeOptions {
  /** The VPC resolver, `ip` or `ip:port`: the one applications in the VPC ask, so Resolver rules apply. */
  resolver: string;
  vendorRanges: readonly AddressRange[];
  dnsTimeoutMs: number;
  dnsTries: number;
  tcpTimeoutMs: number;
  /** Names probed at once. */
  concurrency?: number;
}

/** node:dns (c-ares) error codes as the VPC resolver's answer. */
function answerFromError(err: unknown): VpcDnsAnswer {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTFOUND':
      return { kind: 'nxdomain' };
    case 'ENODATA':
      return { kind: 'nodata' };
    case 'ESERVFAIL':
      return { kind: 'servfail' };
    case 'ETIMEOUT':
      return { kind: 'timeout' };
    default:
      return { kind: 'error', detail: code ?? (err instanceof Error ? err.message : String(err)) };
  }
}

/**
 * Asks the VPC resolver for the name's IPv4 addresses, as an application's getaddrinfo would. The
 * resolver follows the CNAME chain itself, applying the VPC's Resolver rules to every name of it.
 */
async function resolveThroughVpc(
  resolver: Resolver,
  name: string,
): Promise<{ answer: VpcDnsAnswer; latencyMs: number }> {
  const started = performance.now();
  const answer = await resolver
    .resolve4(name)
    .then((addresses): VpcDnsAnswer => ({ kind: 'addresses', addresses }), answerFromError);
  return { answer, latencyMs: Math.round(performance.now() - started) };
}

/** Opens a TCP connection and closes it at once; the deadline covers the whole handshake. */
export function connectOnce(
  address: string,
  port: number,
  timeoutMs: number,
): Promise<{ verdict: TcpVerdict; latencyMs: number; detail?: string }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = createConnection({ host: address, port });
    let settled = false;
    const finish = (verdict: TcpVerdict, detail?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ verdict, latencyMs: Math.round(performance.now() - started), ...(detail ? { detail } : {}) });
    };
    const timer = setTimeout(() => finish('timeout', `no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once('connect', () => finish('open'));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      finish(
        err.code === 'ECONNREFUSED' ? 'refused' : err.code === 'ETIMEDOUT' ? 'timeout' : 'error',
        err.code ?? err.message,
      ),
    );
  });
}

/** Probes one name: the VPC resolver's answer, classified, then a TCP connection when it is the vendor's address. */
export async function probeName(target: ProbeTarget, resolver: Resolver, options: ProbeOptions): Promise<NameProbe> {
  const { answer, latencyMs } = await resolveThroughVpc(resolver, target.name);
  const dns = { ...classifyDns(answer, options.vendorRanges), latencyMs };
  const address = tcpAddressOf({ dns });
  const tcp = address
    ? { address, ...(await connectOnce(address, target.port, options.tcpTimeoutMs)) }
    : { verdict: 'not-tried' as const };
  return {
    name: target.name,
    port: target.port,
    dns,
    tcp,
    reachable: dns.verdict === 'vendor-private' && tcp.verdict === 'open',
  };
}

/**
 * Probes every target, a few at a time, through one resolver made for this run (so nothing cached
 * outlives it). Never rejects: every failure is a verdict.
 */
export async function probeTargets(targets: readonly ProbeTarget[], options: ProbeOptions): Promise<NameProbe[]> {
  const resolver = new Resolver({ timeout: options.dnsTimeoutMs, tries: options.dnsTries });
  resolver.setServers([options.resolver]);
  const results: NameProbe[] = new Array(targets.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < targets.length; i = next++) results[i] = await probeName(targets[i]!, resolver, options);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, targets.length) }, worker));
  return results;
}
