import { describe, expect, it } from 'vitest';
import { canonicalIp, checkIpv4Cidr, checkIpv6Cidr, inRanges, parseRange } from '../../functions/core/ip.js';
import { parseTargetAddress } from '../../functions/core/resolver-rules/index.js';

describe('one IP module for the core', () => {
  it.each([
    ['FD00:0:0:0::2', 'fd00::2'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['10.0.0.2', '10.0.0.2'],
    ['010.0.0.2', undefined],
    ['10.1', undefined],
    ['::ffff:10.0.0.2', undefined],
  ])('spells %s as %s', (text, canonical) => {
    // Act
    const spelled = canonicalIp(text);

    // Assess
    expect(spelled).toBe(canonical);
  });

  it('gives a target, a CIDR and a range of the same address one spelling', () => {
    // Act
    const target = parseTargetAddress('[FD00:0::2]:53');
    const cidr = checkIpv6Cidr('FD00:0::2/128');
    const range = parseRange('fd00:0::/64')!;

    // Assess
    expect(target).toEqual({ ip: 'fd00::2', port: 53 });
    expect(cidr).toEqual({ cidr: 'fd00::2/128' });
    expect(inRanges('FD00::2', [range])).toBe(true);
    expect(inRanges('10.0.0.2', [range])).toBe(false);
  });

  it('reads a range with host bits set as its network, where a managed CIDR refuses them', () => {
    // Act
    const range = parseRange(' 10.0.0.5/16 ')!;
    const check = checkIpv4Cidr('10.0.0.5/16');

    // Assess
    expect(range).toMatchObject({ cidr: '10.0.0.5/16', family: 4 });
    expect(inRanges('10.0.255.255', [range])).toBe(true);
    expect(inRanges('10.1.0.0', [range])).toBe(false);
    expect(check).toEqual({ problem: 'is not an IPv4 CIDR (host bits set beyond /16)' });
  });
});
