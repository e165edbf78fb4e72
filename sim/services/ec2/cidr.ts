import { AwsError } from '../../core/errors.js';
import { parseIpAddress } from '../../core/ip.js';

/** IPv4 and IPv6 CIDR arithmetic, just enough for VPCs, subnets and route destinations. */

export interface Ipv4Cidr {
  base: number;
  prefix: number;
}

export function parseIpv4(address: string): number | undefined {
  const parsed = parseIpAddress(address);
  return parsed?.bits === 32 ? Number(parsed.value) : undefined;
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const match = /^([^/]+)\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const base = parseIpv4(match[1]!);
  const prefix = Number(match[2]);
  if (base === undefined || prefix > 32) return undefined;
  return { base, prefix };
}

/** A canonical IPv4 CIDR (no host bits set), or an InvalidParameterValue naming the parameter. */
export function requireIpv4Cidr(cidr: string, parameter: string): Ipv4Cidr {
  const parsed = parseIpv4Cidr(cidr);
  if (!parsed || parsed.base % size(parsed) !== 0) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${cidr}) for parameter ${parameter} is invalid. This is not a valid CIDR block.`,
    );
  }
  return parsed;
}

export function size(cidr: Ipv4Cidr): number {
  return 2 ** (32 - cidr.prefix);
}

export function contains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
  return (
    inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer)
  );
}

export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base < b.base + size(b) && b.base < a.base + size(a);
}

export function containsAddress(cidr: Ipv4Cidr, address: number): boolean {
  return address >= cidr.base && address < cidr.base + size(cidr);
}

/** An IPv6 CIDR (prefix 0..128), lower-cased; EC2 rejects anything else. */
export function requireIpv6Cidr(cidr: string, parameter: string): string {
  const match = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(cidr);
  const valid = match && Number(match[2]) <= 128 && parseIpAddress(match[1]!)?.bits === 128;
  if (!valid) {
    throw new AwsError(
      'InvalidParameterValue',
      `Value (${cidr}) for parameter ${parameter} is invalid. This is not a valid IPv6 CIDR block.`,
    );
  }
  return cidr.toLowerCase();
}
