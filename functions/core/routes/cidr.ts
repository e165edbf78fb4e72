// CIDR and id validation, and canonical forms so that config and EC2 spellings of a destination compare equal.

/** A valid canonical CIDR, or the problem in words. */
export type CidrCheck = { cidr: string } | { problem: string };

const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;
const IPV6_GROUP = /^[0-9a-f]{1,4}$/;

function parsePrefix(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^(0|[1-9]\d{0,2})$/.test(text)) return null;
  const prefix = Number(text);
  return prefix <= max ? prefix : null;
}

function hostBitsSet(address: bigint, prefix: number, width: number): boolean {
  const hostBits = BigInt(width - prefix);
  return (address & ((1n << hostBits) - 1n)) !== 0n;
}

/** Checks `a.b.c.d/n` (no leading zeros, no host bits set). */
export function checkIpv4Cidr(text: string): CidrCheck {
  const [address, prefixText, extra] = text.split('/');
  const octets = address?.split('.') ?? [];
  const prefix = parsePrefix(prefixText, 32);
  if (extra !== undefined || prefix === null || octets.length !== 4) return { problem: 'is not an IPv4 CIDR' };
  let value = 0n;
  for (const octet of octets) {
    if (!IPV4_OCTET.test(octet) || Number(octet) > 255) return { problem: 'is not an IPv4 CIDR' };
    value = (value << 8n) | BigInt(octet);
  }
  if (hostBitsSet(value, prefix, 32)) return { problem: `is not an IPv4 CIDR (host bits set beyond /${prefix})` };
  return { cidr: text };
}

function parseIpv6Groups(address: string): number[] | null {
  const halves = address.split('::');
  if (halves.length > 2) return null;
  const split = (part: string | undefined): string[] => (part ? part.split(':') : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const explicit = [...head, ...tail];
  if (!explicit.every((group) => IPV6_GROUP.test(group))) return null;
  const missing = 8 - explicit.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const zeros = halves.length === 2 ? new Array<string>(missing).fill('0') : [];
  return [...head, ...zeros, ...tail].map((group) => Number.parseInt(group, 16));
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (>= 2) of zero groups as `::`. */
function formatIpv6(groups: number[]): string {
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

/** Checks an IPv6 CIDR (no embedded IPv4, no host bits set) and returns its canonical text. */
export function checkIpv6Cidr(text: string): CidrCheck {
  const [address, prefixText, extra] = text.toLowerCase().split('/');
  const prefix = parsePrefix(prefixText, 128);
  const groups = address === undefined ? null : parseIpv6Groups(address);
  if (extra !== undefined || prefix === null || groups === null) return { problem: 'is not an IPv6 CIDR' };
  const value = groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
  if (hostBitsSet(value, prefix, 128)) return { problem: `is not an IPv6 CIDR (host bits set beyond /${prefix})` };
  return { cidr: `${formatIpv6(groups)}/${prefix}` };
}

/** An AWS resource id with the given prefix (`pl-`, `rtb-`, `eipalloc-`): 8 or 17 lowercase hex digits. */
export function isAwsId(prefix: string, text: string): boolean {
  return new RegExp(`^${prefix}-([0-9a-f]{8}|[0-9a-f]{17})$`).test(text);
}
