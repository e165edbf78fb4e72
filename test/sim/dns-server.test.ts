import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import dnsPacket, { type DecodedPacket, type Packet, type Question } from 'dns-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlVendorDns } from '../../sim/dns/control.js';
import { VendorDnsServer } from '../../sim/dns/server.js';

const RCODE = (p: DecodedPacket) => (p as DecodedPacket & { rcode: string }).rcode;

function query(question: Question, options: { id?: number; ednsSize?: number } = {}): Buffer {
  const packet: Packet = {
    type: 'query',
    id: options.id ?? 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [question],
    additionals:
      options.ednsSize === undefined
        ? []
        : [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: options.ednsSize,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ],
  };
  return dnsPacket.encode(packet);
}

/** How long a reply that must come may take: generous, as a loaded machine is slow, not wrong. */
const REPLY_DEADLINE_MS = 60_000;
/** After the server has handled a packet it does not answer, how long a wrong reply would have to show up. */
const SILENCE_GRACE_MS = 50;

/**
 * Polls until `handled` says the server has taken the packet in (logged or counted it); a wrong reply
 * would have been sent by then, and arrives within the grace. Throws if the server never handles it.
 */
async function handledThenGrace(handled: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + REPLY_DEADLINE_MS; !handled(); await sleep(5)) {
    if (Date.now() > deadline) throw new Error(`the server did not handle ${what} within ${REPLY_DEADLINE_MS} ms`);
  }
  await sleep(SILENCE_GRACE_MS);
}

/**
 * One UDP exchange. Without `handled`, a reply must come (within the deadline); with it, the packet is
 * one the server should not answer, and the answer is undefined unless it replied all the same.
 */
async function udp(port: number, packet: Buffer, handled?: () => boolean): Promise<DecodedPacket | undefined> {
  const socket = createSocket('udp4');
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no UDP reply within ${REPLY_DEADLINE_MS} ms`)),
        REPLY_DEADLINE_MS,
      );
      socket.once('message', (reply) => {
        clearTimeout(timer);
        resolve(dnsPacket.decode(reply));
      });
      socket.send(packet, port, '127.0.0.1', () => {
        if (!handled) return;
        clearTimeout(timer);
        handledThenGrace(handled, 'the UDP packet').then(() => resolve(undefined), reject);
      });
    });
  } finally {
    socket.close();
  }
}

/**
 * Sends raw bytes over one TCP connection and reads `expected` framed replies, or until it closes;
 * with `handled`, stops once the server has handled what it should not answer, and the grace passed.
 */
async function tcp(
  port: number,
  bytes: Buffer,
  expected: number,
  handled?: () => boolean,
): Promise<{ replies: DecodedPacket[]; closed: boolean }> {
  const socket = connect(port, '127.0.0.1');
  const replies: DecodedPacket[] = [];
  let buffered = Buffer.alloc(0);
  try {
    return await new Promise((resolve, reject) => {
      const done = (closed: boolean) => {
        clearTimeout(timer);
        resolve({ replies, closed });
      };
      const timer = setTimeout(
        () => reject(new Error(`${replies.length} of ${expected} TCP replies within ${REPLY_DEADLINE_MS} ms`)),
        REPLY_DEADLINE_MS,
      );
      socket.on('error', () => {});
      socket.on('close', () => done(true));
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          replies.push(dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))));
          buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        }
        if (replies.length >= expected) done(false);
      });
      socket.write(bytes, () => {
        if (handled) handledThenGrace(handled, 'the TCP message').then(() => done(false), reject);
      });
    });
  } finally {
    socket.destroy();
  }
}

const framed = (packet: Buffer) => Buffer.concat([Buffer.from([packet.length >> 8, packet.length & 0xff]), packet]);
const ips = (count: number) => Array.from({ length: count }, (_, i) => `10.9.${i >> 8}.${i & 0xff}`);

describe('VendorDnsServer', () => {
  let server: VendorDnsServer;
  let port: number;

  beforeEach(async () => {
    server = new VendorDnsServer();
    port = await server.start();
    server.setCname('db.vendor.example', 'mid.vendor.example', 300);
    server.setCname('mid.vendor.example', 'ec2-10-0-0-1.vendor.example', 60);
    server.setA('ec2-10-0-0-1.vendor.example', ['10.0.0.1', '10.0.0.2'], 20);
  });

  afterEach(async () => {
    await server.stop();
  });

  it('answers an alias with its whole CNAME chain and the final A records, with their TTLs', async () => {
    // Act
    const reply = await udp(port, query({ type: 'A', name: 'db.vendor.example' }));

    // Assess
    expect(reply && RCODE(reply)).toBe('NOERROR');
    expect(reply?.id).toBe(4242);
    expect(reply?.flag_ra).toBe(true);
    expect(reply?.flag_rd).toBe(true);
    expect(
      reply?.answers?.map((a) => [a.name, a.type, 'data' in a ? a.data : undefined, 'ttl' in a ? a.ttl : 0]),
    ).toEqual([
      ['db.vendor.example', 'CNAME', 'mid.vendor.example', 300],
      ['mid.vendor.example', 'CNAME', 'ec2-10-0-0-1.vendor.example', 60],
      ['ec2-10-0-0-1.vendor.example', 'A', '10.0.0.1', 20],
      ['ec2-10-0-0-1.vendor.example', 'A', '10.0.0.2', 20],
    ]);
  });

  it('matches names case-insensitively and echoes the question as asked', async () => {
    const reply = await udp(port, query({ type: 'A', name: 'EC2-10-0-0-1.Vendor.Example' }));

    expect(reply?.questions?.[0]?.name).toBe('EC2-10-0-0-1.Vendor.Example');
    expect(reply?.answers?.map((a) => ('data' in a ? a.data : undefined))).toEqual(['10.0.0.1', '10.0.0.2']);
  });

  it('does not chase a CNAME when the CNAME itself is asked for', async () => {
    const reply = await udp(port, query({ type: 'CNAME', name: 'db.vendor.example' }));

    expect(reply?.answers).toHaveLength(1);
    expect(reply?.answers?.[0]).toMatchObject({ type: 'CNAME', data: 'mid.vendor.example' });
  });

  it('says NXDOMAIN for a name that does not exist, and for an alias whose target does not', async () => {
    // Prepare
    server.setCname('stale.vendor.example', 'gone.vendor.example', 30);

    // Act
    const missing = await udp(port, query({ type: 'A', name: 'nothing.vendor.example' }));
    const dangling = await udp(port, query({ type: 'A', name: 'stale.vendor.example' }));

    // Assess
    expect(missing && RCODE(missing)).toBe('NXDOMAIN');
    expect(missing?.answers).toEqual([]);
    expect(dangling && RCODE(dangling)).toBe('NXDOMAIN');
    expect(dangling?.answers?.map((a) => a.type)).toEqual(['CNAME']);
  });

  it('says NOERROR with no answer (NODATA) for an existing name without the type, or an empty non-terminal', async () => {
    server.setRecord('txt.vendor.example', 'TXT', ['v=vendor1'], 10);

    const aOfTxt = await udp(port, query({ type: 'A', name: 'txt.vendor.example' }));
    const txt = await udp(port, query({ type: 'TXT', name: 'txt.vendor.example' }));
    const parent = await udp(port, query({ type: 'A', name: 'vendor.example' }));

    expect(aOfTxt && RCODE(aOfTxt)).toBe('NOERROR');
    expect(aOfTxt?.answers).toEqual([]);
    expect(txt?.answers?.[0]).toMatchObject({ type: 'TXT', ttl: 10, data: [Buffer.from('v=vendor1')] });
    expect(parent && RCODE(parent)).toBe('NOERROR');
    expect(parent?.answers).toEqual([]);
  });

  it('serves AAAA records and a change of data to the very next query', async () => {
    server.setRecord('v6.vendor.example', 'AAAA', ['fd00::1'], 5);
    const before = await udp(port, query({ type: 'AAAA', name: 'v6.vendor.example' }));
    server.setCname('v6.vendor.example', 'ec2-10-0-0-1.vendor.example');
    const after = await udp(port, query({ type: 'AAAA', name: 'v6.vendor.example' }));

    expect(before?.answers?.[0]).toMatchObject({ type: 'AAAA', data: 'fd00::1', ttl: 5 });
    expect(after?.answers?.map((a) => a.type)).toEqual(['CNAME']);
  });

  it('answers SERVFAIL for a name switched to servfail, and normally once switched back', async () => {
    server.fault('mid.vendor.example', 'servfail');
    const failed = await udp(port, query({ type: 'CNAME', name: 'MID.vendor.example' }));
    const other = await udp(port, query({ type: 'CNAME', name: 'db.vendor.example' }));
    server.fault('mid.vendor.example', undefined);
    const healed = await udp(port, query({ type: 'CNAME', name: 'mid.vendor.example' }));

    expect(failed && RCODE(failed)).toBe('SERVFAIL');
    expect(other && RCODE(other)).toBe('NOERROR');
    expect(healed && RCODE(healed)).toBe('NOERROR');
  });

  it('never answers a name switched to timeout, nor anything while the tunnel is down', async () => {
    server.fault('db.vendor.example', 'timeout');
    const queried = (count: number) => () => server.queryCount() >= count;
    const silent = await udp(port, query({ type: 'A', name: 'db.vendor.example' }), queried(1));
    const answered = await udp(port, query({ type: 'A', name: 'mid.vendor.example' }));
    server.setTunnelDown(true);
    const down = await udp(port, query({ type: 'A', name: 'mid.vendor.example' }), queried(3));
    const downTcp = await tcp(port, framed(query({ type: 'A', name: 'mid.vendor.example' })), 1, queried(4));

    expect(silent).toBeUndefined();
    expect(answered).toBeDefined();
    expect(down).toBeUndefined();
    expect(downTcp.replies).toEqual([]);
    expect(server.queries().map((q) => q.outcome)).toEqual(['timeout', 'NOERROR', 'timeout', 'timeout']);
  });

  it('delays every answer by the configured latency', async () => {
    server.setLatency(60);
    const start = performance.now();
    const reply = await udp(port, query({ type: 'A', name: 'db.vendor.example' }));
    const elapsed = performance.now() - start;

    expect(reply).toBeDefined();
    expect(elapsed).toBeGreaterThanOrEqual(55);
  });

  it('truncates a UDP answer over 512 bytes without EDNS, setting TC and dropping the answers', async () => {
    server.setA('big.vendor.example', ips(30));

    const reply = await udp(port, query({ type: 'A', name: 'big.vendor.example' }));

    expect(reply?.flag_tc).toBe(true);
    expect(reply?.answers).toEqual([]);
    expect(server.queries({ name: 'big.vendor.example' })[0]).toMatchObject({ transport: 'udp', truncated: true });
  });

  it("sends an answer over 512 bytes in full within the client's EDNS size, and truncates past it", async () => {
    server.setA('big.vendor.example', ips(30));
    server.setA('huge.vendor.example', ips(200));

    const fits = await udp(port, query({ type: 'A', name: 'big.vendor.example' }, { ednsSize: 1232 }));
    const tooBig = await udp(port, query({ type: 'A', name: 'huge.vendor.example' }, { ednsSize: 1232 }));

    expect(fits?.flag_tc).toBe(false);
    expect(fits?.answers).toHaveLength(30);
    expect(fits?.additionals?.[0]).toMatchObject({ type: 'OPT' });
    expect(tooBig?.flag_tc).toBe(true);
  });

  it('answers over TCP in full, behind the 2-byte length, several queries on one connection', async () => {
    server.setA('huge.vendor.example', ips(200));
    const bytes = Buffer.concat([
      framed(query({ type: 'A', name: 'huge.vendor.example' }, { id: 1 })),
      framed(query({ type: 'A', name: 'db.vendor.example' }, { id: 2 })),
    ]);

    const { replies } = await tcp(port, bytes, 2);

    const byId = new Map(replies.map((r) => [r.id, r]));
    expect(byId.get(1)?.flag_tc).toBe(false);
    expect(byId.get(1)?.answers).toHaveLength(200);
    expect(byId.get(2)?.answers).toHaveLength(4);
  });

  it('drops malformed UDP packets and keeps serving', async () => {
    const garbage = [
      Buffer.from([1, 2, 3]),
      Buffer.alloc(40, 0xff),
      query({ type: 'A', name: 'db.vendor.example' }).subarray(0, 20),
    ];
    const replies: (DecodedPacket | undefined)[] = [];
    for (const [i, packet] of garbage.entries())
      replies.push(await udp(port, packet, () => server.malformedCount() > i));
    const after = await udp(port, query({ type: 'A', name: 'db.vendor.example' }));

    expect(replies).toEqual([undefined, undefined, undefined]);
    expect(server.malformedCount()).toBe(3);
    expect(after?.answers).toHaveLength(4);
  });

  it('ignores a response sent to it instead of a query', async () => {
    const response = dnsPacket.encode({
      type: 'response',
      id: 7,
      questions: [{ type: 'A', name: 'db.vendor.example' }],
    });

    expect(await udp(port, response, () => server.malformedCount() > 0)).toBeUndefined();
    expect(server.malformedCount()).toBe(1);
  });

  it('closes a TCP connection that sends a malformed message, and keeps serving', async () => {
    const bad = await tcp(port, framed(Buffer.alloc(30, 0xff)), 1);
    const good = await tcp(port, framed(query({ type: 'A', name: 'db.vendor.example' })), 1);

    expect(bad).toEqual({ replies: [], closed: true });
    expect(good.replies[0]?.answers).toHaveLength(4);
  });

  it('answers NOTIMP to an opcode other than QUERY', async () => {
    const notify = query({ type: 'SOA', name: 'vendor.example' });
    notify.writeUInt16BE(notify.readUInt16BE(2) | (4 << 11), 2); // opcode NOTIFY

    const reply = await udp(port, notify);

    expect(reply && RCODE(reply)).toBe('NOTIMP');
    expect((reply as DecodedPacket & { opcode: string }).opcode).toBe('NOTIFY');
  });

  it('logs and counts every query with its transport, question and outcome', async () => {
    const mark = server.mark();
    await udp(port, query({ type: 'A', name: 'DB.vendor.example' }));
    await udp(port, query({ type: 'A', name: 'nothing.vendor.example' }));

    expect(server.queryCount()).toBe(mark + 2);
    expect(
      server
        .queries({ since: mark })
        .map(({ transport, name, type, outcome, answers }) => ({ transport, name, type, outcome, answers })),
    ).toEqual([
      { transport: 'udp', name: 'db.vendor.example', type: 'A', outcome: 'NOERROR', answers: 4 },
      { transport: 'udp', name: 'nothing.vendor.example', type: 'A', outcome: 'NXDOMAIN', answers: 0 },
    ]);
    expect(server.queries({ name: 'nothing.vendor.example' })).toHaveLength(1);
  });

  it('frees its port on stop, so a new server can listen on it, and names it in servers()', async () => {
    expect(server.servers()).toEqual([`127.0.0.1:${port}`]);
    await server.stop();
    const again = new VendorDnsServer({ port });
    try {
      expect(await again.start()).toBe(port);
      again.setA('x.vendor.example', ['10.1.1.1']);
      expect((await udp(port, query({ type: 'A', name: 'x.vendor.example' })))?.answers).toHaveLength(1);
    } finally {
      await again.stop();
    }
    expect(() => server.servers()).toThrow(/not started/);
  });

  it('rejects bad records with an error naming the problem', () => {
    expect(() => server.setA('x.vendor.example', ['10.0.0.300'])).toThrow(/not an IPv4 address: 10.0.0.300/);
    expect(() => server.setRecord('x.vendor.example', 'AAAA', ['10.0.0.1'])).toThrow(/not an IPv6 address/);
    expect(() => server.setRecord('x.vendor.example', 'CNAME', ['a.example', 'b.example'])).toThrow(
      /at most one CNAME/,
    );
    expect(() => server.setA('bad..vendor.example', ['10.0.0.1'])).toThrow(/not a valid DNS name/);
    expect(() => server.setA('x.vendor.example', ['10.0.0.1'], -1)).toThrow(/ttl/);
  });

  it('replaces a CNAME by other data at the same name and the other way round', () => {
    server.setA('db.vendor.example', ['10.0.0.9'], 30);
    expect(server.snapshot().zone['db.vendor.example']).toEqual({ A: { values: ['10.0.0.9'], ttl: 30 } });
    server.setCname('db.vendor.example', 'mid.vendor.example', 40);
    expect(server.snapshot().zone['db.vendor.example']).toEqual({ CNAME: { values: ['mid.vendor.example'], ttl: 40 } });
  });
});

describe('controlVendorDns', () => {
  it('changes records, faults, the tunnel and latency, and shows them in the state', () => {
    // Prepare
    const server = new VendorDnsServer();

    // Act
    controlVendorDns(server, 'POST', 'records', { name: 'Txt.Vendor.Example', type: 'TXT', values: ['hi'], ttl: 9 });
    controlVendorDns(server, 'POST', 'cname', { name: 'db.vendor.example', target: 'host.vendor.example' });
    controlVendorDns(server, 'POST', 'a', { name: 'host.vendor.example', ips: ['10.0.0.5'], ttl: 15 });
    controlVendorDns(server, 'POST', 'faults', { name: 'host.vendor.example', fault: 'servfail' });
    controlVendorDns(server, 'POST', 'tunnel', { down: true });
    controlVendorDns(server, 'POST', 'latency', { ms: 50 });
    const removed = controlVendorDns(server, 'DELETE', 'names/txt.vendor.example', undefined);

    // Assess
    expect(removed).toEqual({ removed: true });
    expect(controlVendorDns(server, 'GET', 'state', undefined)).toEqual({
      servers: [],
      zone: {
        'db.vendor.example': { CNAME: { values: ['host.vendor.example'], ttl: 300 } },
        'host.vendor.example': { A: { values: ['10.0.0.5'], ttl: 15 } },
      },
      faults: { 'host.vendor.example': 'servfail' },
      tunnelDown: true,
      latencyMs: 50,
      queries: 0,
      malformed: 0,
    });
    controlVendorDns(server, 'POST', 'faults', { name: 'host.vendor.example', fault: null });
    expect(server.snapshot().faults).toEqual({});
    controlVendorDns(server, 'POST', 'reset', undefined);
    expect(server.snapshot()).toMatchObject({ zone: {}, tunnelDown: false, latencyMs: 0 });
  });

  it('throws a clear error for a bad body or an unknown route', () => {
    const server = new VendorDnsServer();

    expect(() => controlVendorDns(server, 'POST', 'records', { name: 'x.example', type: 'MX', values: [] })).toThrow(
      /type/,
    );
    expect(() => controlVendorDns(server, 'POST', 'latency', { ms: -5 })).toThrow(/ms/);
    expect(() => controlVendorDns(server, 'PATCH', 'records', {})).toThrow(/no DNS control route PATCH records/);
  });
});
