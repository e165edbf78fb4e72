// IP addresses and CIDRs for the whole core: one parser, one canonical spelling (RFC 5952 for IPv6), one
// range test. Hand-written rather than ipaddr.js: the core accepts only the strict forms AWS writes and
// operators type (dotted quads without leading zeros, IPv6 groups without embedded IPv4), where
// ipaddr.js's `parse` also takes classful and octal IPv4 spellings ("10.1", "010.0.0.1") that would have
// to be refused again; and the Lambda bundles keep no dependency for sixty lines.

export type IpFamily = 4 | 6;

/** An address as a number, with its family. */
export interface IpAddress {
  family: IpFamily;
  value: bigint;
}

const WIDTH: Record<IpFamily, number> = { 4: 32, 6: 128 };
const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-f]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const octets = text.split('.');
  if (octets.length !== 4 || octets.some((o) => !IPV4_OCTET.test(o) || Number(o) > 255)) return undefined;
  return octets.reduce((value, octet) => (value << 8n) | BigInt(octet), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.toLowerCase().split('::');
  if (halves.length > 2) return undefined;
  const split = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((group) => IPV6_GROUP.test(group))) return undefined;
  return groups.reduce((value, group) => (value << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** An IPv4 or IPv6 address, or undefined when the text is neither. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: v4 };
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { family: 6, value: v6 };
}

/** The canonical text: dotted quad, or RFC 5952 (lower case, no leading zeros, the longest zero run as `::`). */
export function formatIp({ family, value }: IpAddress): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 255n)).join('.');
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((value >> shift) & 0xffffn));
  // The longest run of two or more zero groups, the first one on a tie.
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < groups.length; ) {
    let end = start;
    while (end < groups.length && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical spelling of an IPv4 or IPv6 address, or undefined when it is neither. */
export function canonicalIp(text: string): string | undefined {
  const address = parseIp(text);
  return address && formatIp(address);
}

/** An address range: the CIDR as written, its family and its first and last addresses. */
export interface AddressRange {
  cidr: string;
  family: IpFamily;
  first: bigint;
  last: bigint;
}

interface ParsedCidr {
  address: IpAddress;
  prefix: number;
  hostBits: bigint;
}

function parseCidr(text: string): ParsedCidr | undefined {
  const [addressText, prefixText, extra] = text.split('/');
  if (extra !== undefined || addressText === undefined || prefixText === undefined) return undefined;
  if (!/^(0|[1-9]\d{0,2})$/.test(prefixText)) return undefined;
  const address = parseIp(addressText);
  const prefix = Number(prefixText);
  if (address === undefined || prefix > WIDTH[address.family]) return undefined;
  return { address, prefix, hostBits: BigInt(WIDTH[address.family] - prefix) };
}

/** A CIDR's range (host bits are ignored: `10.0.0.5/16` is 10.0.0.0 to 10.0.255.255), or undefined. */
export function parseRange(text: string): AddressRange | undefined {
  const cidr = text.trim();
  const parsed = parseCidr(cidr);
  if (parsed === undefined) return undefined;
  const first = (parsed.address.value >> parsed.hostBits) << parsed.hostBits;
  return { cidr, family: parsed.address.family, first, last: first + (1n << parsed.hostBits) - 1n };
}

/** True when the address lies in one of the ranges of its family. */
export function inRanges(address: string, ranges: readonly AddressRange[]): boolean {
  const parsed = parseIp(address);
  return (
    parsed !== undefined &&
    ranges.some((r) => r.family === parsed.family && parsed.value >= r.first && parsed.value <= r.last)
  );
}

/** A valid canonical CIDR, or the problem in words. */
export type CidrCheck = { cidr: string } | { problem: string };

function checkCidr(text: string, family: IpFamily): CidrCheck {
  const name = family === 4 ? 'IPv4' : 'IPv6';
  const parsed = parseCidr(text);
  if (parsed === undefined || parsed.address.family !== family) return { problem: `is not an ${name} CIDR` };
  if ((parsed.address.value & ((1n << parsed.hostBits) - 1n)) !== 0n)
    return { problem: `is not an ${name} CIDR (host bits set beyond /${parsed.prefix})` };
  return { cidr: `${formatIp(parsed.address)}/${parsed.prefix}` };
}

/** Checks `a.b.c.d/n` (no leading zeros, no host bits set). */
export function checkIpv4Cidr(text: string): CidrCheck {
  return checkCidr(text, 4);
}

/** Checks an IPv6 CIDR (no embedded IPv4, no host bits set) and returns its canonical text. */
export function checkIpv6Cidr(text: string): CidrCheck {
  return checkCidr(text, 6);
}
