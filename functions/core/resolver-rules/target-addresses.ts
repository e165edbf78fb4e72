import { canonicalIp, formatIp, parseIp } from '../ip.js';
import { compareText } from './order.js';

export { canonicalIp } from '../ip.js';

import type { TargetAddress } from './types.js';

/** The port DNS servers listen on when none is given. */
export const DEFAULT_DNS_PORT = 53;

/**
 * Parses `10.0.0.2`, `10.0.0.2:5353`, `[fd00::2]` or `[fd00::2]:5353` (port 1-65535, default 53);
 * returns a reason string when the text is not one of those.
 */
export function parseTargetAddress(text: string): TargetAddress | string {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(text.trim());
  if (!match) return `"${text}" is not an address: use 10.0.0.2, 10.0.0.2:5353 or [fd00::2]:53`;
  const [, ipv6, ipv4, portText] = match;
  const address = parseIp(ipv6 ?? ipv4 ?? '');
  const ip = address?.family === (ipv6 !== undefined ? 6 : 4) ? formatIp(address) : undefined;
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
