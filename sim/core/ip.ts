// The simulated account's one IP parser: addresses and CIDRs as AWS services read them (EC2's VPCs,
// subnets and routes, EventBridge's cidr patterns). Apart from the product's (functions/core/ip.ts) on
// purpose: the sim answers as AWS does, which is looser (leading zeros, IPv4-mapped IPv6 tails), and a
// product change must not change what the simulated AWS accepts.

/** An IP address as a number, with its family's width in bits. */
export type IpAddress = { value: bigint; bits: 32 | 128 };

/** A CIDR block as the inclusive range of addresses it covers. */
export type CidrRange = { low: bigint; high: bigint; bits: 32 | 128 };

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEXTET = /^[0-9a-fA-F]{1,4}$/;

function parseIpv4(text: string): bigint | undefined {
  const parts = IPV4.exec(text);
  if (!parts) return undefined;
  let value = 0n;
  for (const part of parts.slice(1)) {
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseHextets(text: string): bigint[] | undefined {
  if (text === '') return [];
  const groups = text.split(':');
  const hextets: bigint[] = [];
  for (const [index, group] of groups.entries()) {
    // An IPv4 tail (::ffff:10.0.0.1) counts as two hextets.
    if (index === groups.length - 1 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (v4 === undefined) return undefined;
      hextets.push(v4 >> 16n, v4 & 0xffffn);
    } else if (HEXTET.test(group)) {
      hextets.push(BigInt(Number.parseInt(group, 16)));
    } else {
      return undefined;
    }
  }
  return hextets;
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseHextets(halves[0] ?? '');
  const tail = halves.length === 2 ? parseHextets(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const hextets = [...head, ...Array<bigint>(missing).fill(0n), ...tail];
  return hextets.reduce((value, hextet) => (value << 16n) | hextet, 0n);
}

/** Parses an IPv4 or IPv6 address literal; undefined when the text is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { value: v4, bits: 32 };
  if (!text.includes(':')) return undefined;
  const v6 = parseIpv6(text);
  return v6 === undefined ? undefined : { value: v6, bits: 128 };
}

/**
 * Parses `address/maskBits`; returns a reason string when invalid. Like Event Ruler (the engine behind
 * EventBridge), the mask must be below the family width: /0-/31 for IPv4, /0-/127 for IPv6.
 */
export function parseCidr(text: string): CidrRange | string {
  const slashed = text.split('/');
  if (slashed.length !== 2) return "malformed CIDR, one '/' required";
  const [addressText = '', maskText = ''] = slashed;
  if (!/^\d+$/.test(maskText)) return 'malformed CIDR, mask bits must be a non-negative integer';
  const address = parseIpAddress(addressText);
  if (!address) return `malformed CIDR, '${addressText}' is not an IP address`;
  const maskBits = Number(maskText);
  if (maskBits >= address.bits) return `IPv${address.bits === 32 ? 4 : 6} mask bits must be < ${address.bits}`;
  const hostBits = BigInt(address.bits - maskBits);
  const hostMask = (1n << hostBits) - 1n;
  const low = address.value & ~hostMask;
  return { low, high: low | hostMask, bits: address.bits };
}

/** True when the text is an IP address inside the range (same family only). */
export function cidrContains(range: CidrRange, text: string): boolean {
  const address = parseIpAddress(text);
  return (
    address !== undefined && address.bits === range.bits && address.value >= range.low && address.value <= range.high
  );
}
