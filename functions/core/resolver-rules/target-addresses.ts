import { compareText } from './order.js';
import type { TargetAddress } from './types.js';

/** The port DNS servers listen on when none is given. */
export const DEFAULT_DNS_PORT = 53;

const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The canonical spelling of an IPv4 or IPv6 address (RFC 5952 for IPv6), or undefined when it is neither. */
export function canonicalIp(ip: string): string | undefined {
  if (IPV4.test(ip)) return ip;
  return canonicalIpv6(ip);
}

function canonicalIpv6(ip: string): string | undefined {
  const halves = ip.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return undefined;
  const words = groups.map((group) => Number.parseInt(group, 16).toString(16));
  // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && words[end] === '0') end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  if (bestStart < 0) return words.join(':');
  return `${words.slice(0, bestStart).join(':')}::${words.slice(bestStart + bestLength).join(':')}`;
}

/**
 * Parses `10.0.0.2`, `10.0.0.2:5353`, `[fd00::2]` or `[fd00::2]:5353` (port 1-65535, default 53);
 * returns a reason string when the text is not one of those.
 */
export function parseTargetAddress(text: string): TargetAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return `"${text}" is not an address: use 10.0.0.2, 10.0.0.2:5353 or [fd00::2]:53`;
  const [, ipv6, ipv4, portText] = match;
  const ip = ipv6 !== undefined ? canonicalIpv6(ipv6) : ipv4 !== undefined && IPV4.test(ipv4) ? ipv4 : undefined;
  if (ip === undefined) return `"${text}" is not a valid ${ipv6 !== undefined ? 'IPv6' : 'IPv4'} address`;
  const port = portText === undefined ? DEFAULT_DNS_PORT : Number(portText);
  if (port < 1 || port > 65535) return `"${text}" has a port outside 1-65535`;
  return { ip, port };
}

/** One comparable spelling of a target: canonical address and port. */
export function targetKey(target: TargetAddress): string {
  const ip = canonicalIp(target.ip) ?? target.ip.toLowerCase();
  return ip.includes(':') ? `[${ip}]:${target.port}` : `${ip}:${target.port}`;
}

/** Targets in canonical spelling, without duplicates, in a stable order. */
export function canonicalTargets(targets: readonly TargetAddress[]): TargetAddress[] {
  const byKey = new Map<string, TargetAddress>();
  for (const target of targets) {
    byKey.set(targetKey(target), { ip: canonicalIp(target.ip) ?? target.ip.toLowerCase(), port: target.port });
  }
  return [...byKey.entries()].sort(([a], [b]) => compareText(a, b)).map(([, target]) => target);
}

/** True when both lists name the same targets, whatever their order and spelling. */
export function sameTargets(a: readonly TargetAddress[], b: readonly TargetAddress[]): boolean {
  const left = canonicalTargets(a).map(targetKey);
  const right = canonicalTargets(b).map(targetKey);
  return left.length === right.length && left.every((key, index) => key === right[index]);
}
