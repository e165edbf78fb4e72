import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  answerFromDnsError,
  createDnsLookup,
  DnsLookupConfigError,
  resolveChains,
} from '../../functions/adapters/dns-resolver.js';
import { type DnsLookup, type LinkAnswer, walkCnameChain } from '../../functions/core/dns-chain.js';
import { VendorDnsServer } from '../../sim/dns/server.js';

// c-ares never waits less than about 250 ms per try, whatever timeoutMs says (c-ares/c-ares#794).
const FAST = { timeoutMs: 100, tries: 1 };

describe('createDnsLookup against the vendor DNS server on loopback', () => {
  const server = new VendorDnsServer();
  let lookup: DnsLookup;

  beforeAll(async () => {
    await server.start();
  });

  afterAll(async () => {
    await server.stop();
  });

  beforeEach(() => {
    server.reset();
    server.setCname('db.vendor.example', 'mid.vendor.example', 300);
    server.setCname('mid.vendor.example', 'ec2-10-0-0-1.vendor.example', 60);
    server.setA('ec2-10-0-0-1.vendor.example', ['10.0.0.1'], 20);
    lookup = createDnsLookup({ servers: server.servers(), ...FAST });
  });

  it('walks a 3-link chain to its addresses, with the A record TTL (CNAME TTLs are not visible)', async () => {
    // Act
    const result = await walkCnameChain('DB.vendor.example', lookup);

    // Assess
    expect(result).toEqual({
      status: 'resolved',
      chain: ['db.vendor.example', 'mid.vendor.example', 'ec2-10-0-0-1.vendor.example'],
      addresses: [{ address: '10.0.0.1', ttl: 20 }],
      ttl: 20,
    });
    expect(server.queries().map((q) => `${q.name} ${q.type}`)).toEqual([
      'db.vendor.example CNAME',
      'mid.vendor.example CNAME',
      'ec2-10-0-0-1.vendor.example CNAME',
      'ec2-10-0-0-1.vendor.example A',
      'ec2-10-0-0-1.vendor.example AAAA',
    ]);
  });

  it('sees a CNAME changed at run time on the very next query (no client cache)', async () => {
    // Prepare
    const before = await walkCnameChain('db.vendor.example', lookup);
    server.setCname('mid.vendor.example', 'ec2-10-0-0-2.vendor.example', 60);
    server.setRecord('ec2-10-0-0-2.vendor.example', 'AAAA', ['fd00::2'], 40);

    // Act
    const after = await walkCnameChain('db.vendor.example', lookup);

    // Assess
    expect(before.chain.at(-1)).toBe('ec2-10-0-0-1.vendor.example');
    expect(after).toEqual({
      status: 'resolved',
      chain: ['db.vendor.example', 'mid.vendor.example', 'ec2-10-0-0-2.vendor.example'],
      addresses: [{ address: 'fd00::2', ttl: 40 }],
      ttl: 40,
    });
  });

  it('tells NXDOMAIN, NODATA, SERVFAIL, REFUSED and timeout apart', async () => {
    // Prepare
    server.setRecord('txt.vendor.example', 'TXT', ['only text']);
    server.setA('servfail.vendor.example', ['10.0.0.3']);
    server.fault('servfail.vendor.example', 'servfail');
    server.setA('refused.vendor.example', ['10.0.0.4']);
    server.fault('refused.vendor.example', 'refused');
    server.setA('slow.vendor.example', ['10.0.0.5']);
    server.fault('slow.vendor.example', 'timeout');

    // Act
    const names = ['missing', 'txt', 'servfail', 'refused', 'slow'].map((n) => `${n}.vendor.example`);
    const answers = await Promise.all(names.map((n) => lookup(n)));

    // Assess
    expect(answers).toEqual<LinkAnswer[]>([
      { kind: 'nxdomain' },
      { kind: 'nodata' },
      { kind: 'unknown', reason: 'servfail', detail: 'ESERVFAIL' },
      { kind: 'unknown', reason: 'refused', detail: 'EREFUSED' },
      { kind: 'unknown', reason: 'timeout', detail: 'ETIMEOUT' },
    ]);
  });

  it('reports a link mid-chain that does not exist or cannot be reached', async () => {
    server.setCname('stale.vendor.example', 'gone.vendor.example');
    server.fault('mid.vendor.example', 'timeout');

    const [stale, db] = await Promise.all([
      walkCnameChain('stale.vendor.example', lookup),
      walkCnameChain('db.vendor.example', lookup),
    ]);

    expect(stale).toEqual({
      status: 'nxdomain',
      chain: ['stale.vendor.example', 'gone.vendor.example'],
      missing: 'gone.vendor.example',
    });
    expect(db).toMatchObject({ status: 'unknown', at: 'mid.vendor.example', reason: 'timeout' });
  });

  // How long that takes is a matter for a benchmark; what bounds it is asking once per try, and no further link.
  it('reports every chain unknown (timeout) while the tunnel is down, after one query per try', async () => {
    server.setTunnelDown(true);

    const result = await walkCnameChain('db.vendor.example', lookup);

    expect(result).toMatchObject({ status: 'unknown', at: 'db.vendor.example', reason: 'timeout' });
    expect(server.queries().map((q) => `${q.name} ${q.type} ${q.outcome}`)).toEqual([
      'db.vendor.example CNAME timeout',
    ]);
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    // Prepare: 40 A records do not fit in 512 bytes.
    const ips = Array.from({ length: 40 }, (_, i) => `10.8.0.${i + 1}`);
    server.setCname('pool.vendor.example', 'big.vendor.example');
    server.setA('big.vendor.example', ips, 30);

    // Act
    const result = await walkCnameChain('pool.vendor.example', lookup);

    // Assess
    expect(result.status).toBe('resolved');
    expect(result.status === 'resolved' && result.addresses.map((a) => a.address).sort()).toEqual([...ips].sort());
    const aQueries = server.queries({ name: 'big.vendor.example' }).filter((q) => q.type === 'A');
    expect(aQueries.map((q) => [q.transport, q.truncated])).toEqual([
      ['udp', true],
      ['tcp', false],
    ]);
  });

  it('finds a CNAME loop', async () => {
    server.setCname('a.vendor.example', 'b.vendor.example');
    server.setCname('b.vendor.example', 'a.vendor.example');

    const result = await walkCnameChain('a.vendor.example', lookup);

    expect(result).toMatchObject({
      status: 'invalid',
      problem: 'loop',
      chain: ['a.vendor.example', 'b.vendor.example', 'a.vendor.example'],
    });
  });

  it('keeps answering real queries after garbage has been thrown at it', async () => {
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) =>
      socket.send(Buffer.from('not a dns packet'), server.port, '127.0.0.1', () => resolve()),
    );
    socket.close();

    const result = await walkCnameChain('db.vendor.example', lookup);

    expect(result.status).toBe('resolved');
  });

  it('says unreachable when nothing listens on the server port', async () => {
    const gone = new VendorDnsServer();
    await gone.start();
    const servers = gone.servers();
    await gone.stop();

    const answer = await createDnsLookup({ servers, ...FAST })('db.vendor.example');

    expect(answer).toEqual({ kind: 'unknown', reason: 'unreachable', detail: 'ECONNREFUSED' });
  });

  it('reaches a server on ::1 through the [v6]:port syntax', async () => {
    const v6 = new VendorDnsServer({ host: '::1' });
    await v6.start();
    try {
      v6.setA('v6.vendor.example', ['10.6.6.6'], 7);
      const answer = await createDnsLookup({ servers: v6.servers(), ...FAST })('v6.vendor.example');
      expect(v6.servers()[0]).toMatch(/^\[::1\]:\d+$/);
      expect(answer).toEqual({ kind: 'addresses', addresses: [{ address: '10.6.6.6', ttl: 7 }] });
    } finally {
      await v6.stop();
    }
  });
});

describe('createDnsLookup configuration', () => {
  it.each([
    [{ servers: [], timeoutMs: 100, tries: 1 }, /servers must list/],
    [{ servers: ['127.0.0.1'], timeoutMs: 0, tries: 1 }, /timeoutMs/],
    [{ servers: ['127.0.0.1'], timeoutMs: 100, tries: 0 }, /tries/],
    [{ servers: ['not an address'], timeoutMs: 100, tries: 1 }, /servers has an invalid entry/],
  ])('rejects %o', (options, message) => {
    expect(() => createDnsLookup(options)).toThrow(DnsLookupConfigError);
    expect(() => createDnsLookup(options)).toThrow(message);
  });
});

describe('answerFromDnsError', () => {
  it.each<[string, LinkAnswer]>([
    ['ENOTFOUND', { kind: 'nxdomain' }],
    ['ENODATA', { kind: 'nodata' }],
    ['ESERVFAIL', { kind: 'unknown', reason: 'servfail', detail: 'ESERVFAIL' }],
    ['ETIMEOUT', { kind: 'unknown', reason: 'timeout', detail: 'ETIMEOUT' }],
    ['EREFUSED', { kind: 'unknown', reason: 'refused', detail: 'EREFUSED' }],
    ['ECONNREFUSED', { kind: 'unknown', reason: 'unreachable', detail: 'ECONNREFUSED' }],
    ['EBADRESP', { kind: 'unknown', reason: 'error', detail: 'EBADRESP' }],
  ])('maps %s', (code, expected) => {
    expect(answerFromDnsError(Object.assign(new Error(`query ${code}`), { code }))).toEqual(expected);
  });

  it('keeps the message of an error without a code', () => {
    expect(answerFromDnsError(new Error('boom'))).toEqual({ kind: 'unknown', reason: 'error', detail: 'boom' });
  });
});

describe('resolveChains', () => {
  /** A slow fake lookup that records what it was asked and how many lookups ran at once. */
  function fakeLookup(table: Record<string, LinkAnswer>) {
    const asked: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const lookup: DnsLookup = async (name) => {
      asked.push(name);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return table[name] ?? { kind: 'nxdomain' };
    };
    return { lookup, asked, maxInFlight: () => maxInFlight };
  }

  it('walks every distinct name, at most `concurrency` lookups at once, keyed by normalised name', async () => {
    // Prepare
    const table: Record<string, LinkAnswer> = Object.fromEntries(
      Array.from({ length: 10 }, (_, i) => [
        `db${i}.vendor.example`,
        { kind: 'cname', target: `host${i}.vendor.example` },
      ]),
    );
    const fake = fakeLookup(table);
    const names = [...Object.keys(table), 'DB0.vendor.example.'];

    // Act
    const results = await resolveChains(names, fake.lookup, { concurrency: 3 });

    // Assess
    expect([...results.keys()]).toEqual(Object.keys(table));
    expect(results.get('db4.vendor.example')).toEqual({
      status: 'nxdomain',
      chain: ['db4.vendor.example', 'host4.vendor.example'],
      missing: 'host4.vendor.example',
    });
    expect(fake.maxInFlight()).toBe(3);
    expect(fake.asked).toHaveLength(20);
  });

  it('looks a shared link up once for all the chains that meet on it', async () => {
    const fake = fakeLookup({
      'a.vendor.example': { kind: 'cname', target: 'shared.vendor.example' },
      'b.vendor.example': { kind: 'cname', target: 'shared.vendor.example' },
      'shared.vendor.example': { kind: 'addresses', addresses: [{ address: '10.0.0.1' }] },
    });

    const results = await resolveChains(['a.vendor.example', 'b.vendor.example'], fake.lookup, { concurrency: 2 });

    expect(fake.asked.filter((n) => n === 'shared.vendor.example')).toHaveLength(1);
    expect([...results.values()].map((r) => r.status)).toEqual(['resolved', 'resolved']);
  });

  it('passes maxDepth to every walk and rejects a bad concurrency', async () => {
    const fake = fakeLookup({ 'a.example': { kind: 'cname', target: 'b.example' } });

    const results = await resolveChains(['a.example'], fake.lookup, { maxDepth: 0 });

    expect(results.get('a.example')).toMatchObject({ status: 'invalid', problem: 'too-deep' });
    await expect(resolveChains(['a.example'], fake.lookup, { concurrency: 0 })).rejects.toThrow(/concurrency/);
  });
});
