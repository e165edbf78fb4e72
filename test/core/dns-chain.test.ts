import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChainResult,
  type DnsLookup,
  type LinkAnswer,
  normaliseDnsName,
  walkCnameChain,
} from '../../functions/core/dns-chain.js';

/** A lookup answering from a table; a name not in it makes the test fail (it becomes an unknown result). */
function tableLookup(table: Record<string, LinkAnswer>): { lookup: DnsLookup; asked: string[] } {
  const asked: string[] = [];
  const lookup: DnsLookup = async (name) => {
    asked.push(name);
    const answer = table[name];
    if (!answer) throw new Error(`unexpected lookup of ${name}`);
    return answer;
  };
  return { lookup, asked };
}

const cname = (target: string, ttl?: number): LinkAnswer => ({ kind: 'cname', target, ...(ttl ? { ttl } : {}) });
const host = (address: string, ttl?: number): LinkAnswer => ({
  kind: 'addresses',
  addresses: [{ address, ...(ttl ? { ttl } : {}) }],
});

interface Case {
  name: string;
  tracked: string;
  table: Record<string, LinkAnswer>;
  maxDepth?: number;
  expected: ChainResult;
  asked: string[];
}

const cases: Case[] = [
  {
    name: 'a name with addresses and no CNAME is a chain of one',
    tracked: 'db.vendor.example',
    table: { 'db.vendor.example': host('10.0.0.1', 60) },
    expected: {
      status: 'resolved',
      chain: ['db.vendor.example'],
      addresses: [{ address: '10.0.0.1', ttl: 60 }],
      ttl: 60,
    },
    asked: ['db.vendor.example'],
  },
  {
    name: 'a multi-hop chain lists every name in order and keeps the smallest TTL',
    tracked: 'db.vendor.example',
    table: {
      'db.vendor.example': cname('mid.vendor.example', 300),
      'mid.vendor.example': cname('ec2-1-2-3-4.compute.example', 30),
      'ec2-1-2-3-4.compute.example': host('1.2.3.4', 120),
    },
    expected: {
      status: 'resolved',
      chain: ['db.vendor.example', 'mid.vendor.example', 'ec2-1-2-3-4.compute.example'],
      addresses: [{ address: '1.2.3.4', ttl: 120 }],
      ttl: 30,
    },
    asked: ['db.vendor.example', 'mid.vendor.example', 'ec2-1-2-3-4.compute.example'],
  },
  {
    name: 'names are lower-cased and lose their trailing dot, the tracked one and the targets',
    tracked: 'DB.Vendor.Example.',
    table: { 'db.vendor.example': cname('HOST.Vendor.Example.'), 'host.vendor.example': host('10.0.0.2') },
    expected: {
      status: 'resolved',
      chain: ['db.vendor.example', 'host.vendor.example'],
      addresses: [{ address: '10.0.0.2' }],
    },
    asked: ['db.vendor.example', 'host.vendor.example'],
  },
  {
    name: 'a last name without addresses (NODATA) still resolves the chain, with no addresses',
    tracked: 'db.vendor.example',
    table: { 'db.vendor.example': cname('txt-only.vendor.example'), 'txt-only.vendor.example': { kind: 'nodata' } },
    expected: { status: 'resolved', chain: ['db.vendor.example', 'txt-only.vendor.example'], addresses: [] },
    asked: ['db.vendor.example', 'txt-only.vendor.example'],
  },
  {
    name: 'a CNAME loop is invalid and names every name up to the repeated one',
    tracked: 'a.vendor.example',
    table: { 'a.vendor.example': cname('b.vendor.example'), 'b.vendor.example': cname('A.vendor.example') },
    expected: {
      status: 'invalid',
      chain: ['a.vendor.example', 'b.vendor.example', 'a.vendor.example'],
      problem: 'loop',
      detail: 'CNAME loop: a.vendor.example -> b.vendor.example -> a.vendor.example',
    },
    asked: ['a.vendor.example', 'b.vendor.example'],
  },
  {
    name: 'a name that is its own CNAME is a loop',
    tracked: 'self.vendor.example',
    table: { 'self.vendor.example': cname('self.vendor.example') },
    expected: {
      status: 'invalid',
      chain: ['self.vendor.example', 'self.vendor.example'],
      problem: 'loop',
      detail: 'CNAME loop: self.vendor.example -> self.vendor.example',
    },
    asked: ['self.vendor.example'],
  },
  {
    name: 'a chain deeper than maxDepth is invalid without looking up the name past the limit',
    tracked: 'a.example',
    maxDepth: 2,
    table: { 'a.example': cname('b.example'), 'b.example': cname('c.example'), 'c.example': cname('d.example') },
    expected: {
      status: 'invalid',
      chain: ['a.example', 'b.example', 'c.example', 'd.example'],
      problem: 'too-deep',
      detail: 'CNAME chain longer than 2 links: a.example -> b.example -> c.example -> d.example',
    },
    asked: ['a.example', 'b.example', 'c.example'],
  },
  {
    name: 'a chain exactly maxDepth links long resolves',
    tracked: 'a.example',
    maxDepth: 2,
    table: { 'a.example': cname('b.example'), 'b.example': cname('c.example'), 'c.example': host('10.0.0.3') },
    expected: {
      status: 'resolved',
      chain: ['a.example', 'b.example', 'c.example'],
      addresses: [{ address: '10.0.0.3' }],
    },
    asked: ['a.example', 'b.example', 'c.example'],
  },
  {
    name: 'maxDepth 0 allows no CNAME at all',
    tracked: 'a.example',
    maxDepth: 0,
    table: { 'a.example': cname('b.example') },
    expected: {
      status: 'invalid',
      chain: ['a.example', 'b.example'],
      problem: 'too-deep',
      detail: 'CNAME chain longer than 0 links: a.example -> b.example',
    },
    asked: ['a.example'],
  },
  {
    name: 'a tracked name that does not exist is NXDOMAIN at itself',
    tracked: 'gone.vendor.example',
    table: { 'gone.vendor.example': { kind: 'nxdomain' } },
    expected: { status: 'nxdomain', chain: ['gone.vendor.example'], missing: 'gone.vendor.example' },
    asked: ['gone.vendor.example'],
  },
  {
    name: 'NXDOMAIN mid-chain says which link is missing',
    tracked: 'db.vendor.example',
    table: {
      'db.vendor.example': cname('mid.vendor.example'),
      'mid.vendor.example': cname('old-host.vendor.example'),
      'old-host.vendor.example': { kind: 'nxdomain' },
    },
    expected: {
      status: 'nxdomain',
      chain: ['db.vendor.example', 'mid.vendor.example', 'old-host.vendor.example'],
      missing: 'old-host.vendor.example',
    },
    asked: ['db.vendor.example', 'mid.vendor.example', 'old-host.vendor.example'],
  },
  {
    name: 'a timeout mid-chain is unknown at that link',
    tracked: 'db.vendor.example',
    table: {
      'db.vendor.example': cname('host.vendor.example'),
      'host.vendor.example': { kind: 'unknown', reason: 'timeout', detail: 'ETIMEOUT' },
    },
    expected: {
      status: 'unknown',
      chain: ['db.vendor.example', 'host.vendor.example'],
      at: 'host.vendor.example',
      reason: 'timeout',
      detail: 'ETIMEOUT',
    },
    asked: ['db.vendor.example', 'host.vendor.example'],
  },
  {
    name: 'a SERVFAIL on the tracked name is unknown at the first link',
    tracked: 'db.vendor.example',
    table: { 'db.vendor.example': { kind: 'unknown', reason: 'servfail' } },
    expected: { status: 'unknown', chain: ['db.vendor.example'], at: 'db.vendor.example', reason: 'servfail' },
    asked: ['db.vendor.example'],
  },
  {
    name: 'an empty name is invalid and never looked up',
    tracked: ' . ',
    table: {},
    expected: { status: 'invalid', chain: [''], problem: 'bad-name', detail: 'the name is empty' },
    asked: [],
  },
  {
    name: 'a CNAME to a malformed name is invalid at that link',
    tracked: 'db.vendor.example',
    table: { 'db.vendor.example': cname('bad..vendor.example') },
    expected: {
      status: 'invalid',
      chain: ['db.vendor.example', 'bad..vendor.example'],
      problem: 'bad-name',
      detail: 'the name has an empty label: bad..vendor.example',
    },
    asked: ['db.vendor.example'],
  },
];

describe('walkCnameChain', () => {
  it.each(cases)('$name', async ({ tracked, table, maxDepth, expected, asked }) => {
    // Prepare
    const fake = tableLookup(table);

    // Act
    const result = await walkCnameChain(tracked, fake.lookup, maxDepth === undefined ? {} : { maxDepth });

    // Assess
    expect(result).toEqual(expected);
    expect(fake.asked).toEqual(asked);
  });

  it('turns a lookup that throws into an unknown result instead of rejecting', async () => {
    // Prepare
    const lookup: DnsLookup = async () => {
      throw new Error('socket closed');
    };

    // Act
    const result = await walkCnameChain('db.vendor.example', lookup);

    // Assess
    expect(result).toEqual({
      status: 'unknown',
      chain: ['db.vendor.example'],
      at: 'db.vendor.example',
      reason: 'error',
      detail: 'socket closed',
    });
  });

  it('rejects a maxDepth that is not a non-negative integer', async () => {
    const { lookup } = tableLookup({});
    await expect(walkCnameChain('a.example', lookup, { maxDepth: -1 })).rejects.toThrow(RangeError);
    await expect(walkCnameChain('a.example', lookup, { maxDepth: 1.5 })).rejects.toThrow(/maxDepth/);
  });

  it('always ends, starting with the tracked name and never longer than maxDepth + 2 names', async () => {
    // Any graph of CNAMEs among a few names, some ending in addresses or NXDOMAIN.
    const names = ['a.example', 'b.example', 'c.example', 'd.example', 'e.example'];
    const answer = fc.oneof(
      fc.constantFrom(...names).map(cname),
      fc.constant(host('10.0.0.9')),
      fc.constant<LinkAnswer>({ kind: 'nxdomain' }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...names.map(() => answer)),
        fc.constantFrom(...names),
        fc.integer({ min: 0, max: 6 }),
        async (answers, start, maxDepth) => {
          const table = Object.fromEntries(names.map((n, i) => [n, answers[i]!]));
          const result = await walkCnameChain(start.toUpperCase(), tableLookup(table).lookup, { maxDepth });
          expect(result.chain[0]).toBe(start);
          expect(result.chain.length).toBeLessThanOrEqual(maxDepth + 2);
          expect(result.chain.every((n) => n === normaliseDnsName(n))).toBe(true);
          expect(result.status).not.toBe('unknown');
        },
      ),
      { numRuns: 300 },
    );
  });
});
