import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import dnsPacket, { type Answer, type DecodedPacket, type OptAnswer, type Packet } from 'dns-packet';
import { DEFAULT_TTL, type VendorRecordType, VendorZone, type ZoneSnapshot, zoneName } from './zone.js';

/** What a switched name (or the whole server) does with a query. */
export type DnsFault = 'timeout' | 'servfail' | 'refused';

type Rcode = 'NOERROR' | 'FORMERR' | 'SERVFAIL' | 'NXDOMAIN' | 'NOTIMP' | 'REFUSED';
const RCODES: Record<Rcode, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };

/** Without EDNS a UDP answer is at most 512 bytes (RFC 1035 4.2.1). */
const PLAIN_UDP_LIMIT = 512;
/** The payload size this server advertises and the most it sends over UDP (DNS flag day 2020). */
const EDNS_UDP_LIMIT = 1232;
const TCP_IDLE_MS = 10_000;
const OPCODE_BITS = 0x7800;

export interface VendorDnsServerOptions {
  /** 127.0.0.1 (the default) or ::1. */
  host?: string;
  /** 0 (the default) picks a port free for both UDP and TCP. */
  port?: number;
  /** Delay before every answer, in ms: the round trip through the tunnel. */
  latencyMs?: number;
  /** Queries kept in the log; the counters keep counting past it. */
  logLimit?: number;
}

export interface DnsQueryRecord {
  seq: number;
  /** performance.now() when the query arrived. */
  at: number;
  transport: 'udp' | 'tcp';
  name: string;
  type: string;
  /** The rcode sent, or timeout when nothing was sent on purpose. */
  outcome: Rcode | 'timeout';
  answers: number;
  truncated: boolean;
  /** The client's EDNS UDP payload size, when it sent one. */
  ednsSize?: number;
}

export interface VendorDnsSnapshot {
  servers: string[];
  zone: ZoneSnapshot;
  faults: Record<string, DnsFault>;
  tunnelDown: boolean;
  latencyMs: number;
  queries: number;
  malformed: number;
}

/**
 * The vendor's DNS servers as the product reaches them through the tunnel: a real DNS server on
 * loopback (UDP and TCP on one port) answering like a recursive resolver from data tests and drills
 * change at run time, with per-name and whole-server faults, latency and a query log.
 */
export class VendorDnsServer {
  readonly zone = new VendorZone();
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly logLimit: number;
  private latency: number;
  private down = false;
  private readonly faults = new Map<string, DnsFault>();
  private log: DnsQueryRecord[] = [];
  private seq = 0;
  private malformed = 0;
  private udp?: UdpSocket;
  private tcp?: Server;
  private boundPort?: number;
  private readonly connections = new Set<Socket>();
  /** Answers waiting out the latency; stop() releases them so none is sent late. */
  private readonly pending = new Set<() => void>();

  constructor(options: VendorDnsServerOptions = {}) {
    this.host = options.host ?? '127.0.0.1';
    this.requestedPort = options.port ?? 0;
    this.logLimit = options.logLimit ?? 10_000;
    this.latency = checkLatency(options.latencyMs ?? 0);
  }

  get port(): number {
    if (this.boundPort === undefined) throw new Error('the vendor DNS server is not started');
    return this.boundPort;
  }

  /** The addresses to give a resolver, e.g. ['127.0.0.1:53053'] (node:dns setServers syntax). */
  servers(): string[] {
    return [this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`];
  }

  setRecord(name: string, type: VendorRecordType, values: string[], ttl = DEFAULT_TTL): void {
    this.zone.setRecord(name, type, values, ttl);
  }

  setCname(name: string, target: string, ttl = DEFAULT_TTL): void {
    this.zone.setCname(name, target, ttl);
  }

  setA(name: string, ips: string[], ttl = DEFAULT_TTL): void {
    this.zone.setA(name, ips, ttl);
  }

  removeName(name: string): boolean {
    return this.zone.removeName(name);
  }

  /** Switches a fault on for queries about one name (undefined switches it off). */
  fault(name: string, fault: DnsFault | undefined): void {
    const key = zoneName(name);
    if (fault === undefined) this.faults.delete(key);
    else if (fault === 'timeout' || fault === 'servfail' || fault === 'refused') this.faults.set(key, fault);
    else throw new RangeError(`fault must be timeout, servfail or refused, got ${String(fault)}`);
  }

  /** The tunnel is down: every query goes unanswered until it is switched back. */
  setTunnelDown(down: boolean): void {
    this.down = down;
  }

  setLatency(ms: number): void {
    this.latency = checkLatency(ms);
  }

  /** Logged queries, oldest first; `since` is a seq from an earlier record or from mark(). */
  queries(filter: { name?: string; since?: number } = {}): DnsQueryRecord[] {
    const name = filter.name === undefined ? undefined : zoneName(filter.name);
    return this.log.filter(
      (q) => (name === undefined || q.name === name) && (filter.since === undefined || q.seq >= filter.since),
    );
  }

  /** Queries answered or ignored so far (malformed packets are not queries). */
  queryCount(): number {
    return this.seq;
  }

  malformedCount(): number {
    return this.malformed;
  }

  mark(): number {
    return this.seq;
  }

  /** Back to an empty zone with no faults, no latency and an empty log; keeps listening. */
  reset(): void {
    this.zone.clear();
    this.faults.clear();
    this.down = false;
    this.latency = 0;
    this.log = [];
    this.seq = 0;
    this.malformed = 0;
  }

  snapshot(): VendorDnsSnapshot {
    return {
      servers: this.boundPort === undefined ? [] : this.servers(),
      zone: this.zone.snapshot(),
      faults: Object.fromEntries(this.faults),
      tunnelDown: this.down,
      latencyMs: this.latency,
      queries: this.seq,
      malformed: this.malformed,
    };
  }

  /** Listens on UDP and TCP on the same port and returns it. */
  async start(): Promise<number> {
    if (this.udp) throw new Error('the vendor DNS server is already started');
    for (let attempt = 0; ; attempt++) {
      const tcp = createServer((socket) => this.serveTcp(socket));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.requestedPort, this.host, () => resolve());
      });
      const { port } = tcp.address() as AddressInfo;
      const udp = createSocket({ type: this.host.includes(':') ? 'udp6' : 'udp4' });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(port, this.host, () => resolve());
        });
      } catch (err) {
        udp.close();
        await new Promise<void>((resolve) => tcp.close(() => resolve()));
        // The free TCP port may be taken for UDP: pick another one, unless the port was asked for.
        if (this.requestedPort !== 0 || attempt >= 20 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE')
          throw err;
        continue;
      }
      udp.removeAllListeners('error');
      udp.on('error', () => {}); // ICMP errors from a gone client must not stop the server.
      udp.on('message', (packet, peer) => {
        void this.answer(packet, 'udp').then((reply) => {
          if (reply instanceof Buffer && this.udp === udp) udp.send(reply, peer.port, peer.address);
        });
      });
      this.tcp = tcp;
      this.udp = udp;
      this.boundPort = port;
      return port;
    }
  }

  async stop(): Promise<void> {
    const { udp, tcp } = this;
    this.udp = undefined;
    this.tcp = undefined;
    this.boundPort = undefined;
    for (const release of [...this.pending]) release();
    for (const socket of this.connections) socket.destroy();
    this.connections.clear();
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
    if (tcp) await new Promise<void>((resolve) => tcp.close(() => resolve()));
  }

  /** RFC 1035 4.2.2 framing: each message behind a 2-byte length; a bad message closes the connection. */
  private serveTcp(socket: Socket): void {
    this.connections.add(socket);
    socket.on('close', () => this.connections.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(TCP_IDLE_MS, () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + message.length);
        void this.answer(message, 'tcp').then((reply) => {
          if (reply === 'malformed') socket.destroy();
          else if (reply && !socket.destroyed) {
            const length = Buffer.alloc(2);
            length.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([length, reply]));
          }
        });
      }
    });
  }

  /** The bytes to send back, undefined to stay silent, or malformed for a packet that is not a query. */
  private async answer(packet: Buffer, transport: 'udp' | 'tcp'): Promise<Buffer | undefined | 'malformed'> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(packet);
    } catch {
      this.malformed++;
      return 'malformed';
    }
    // Answering a response could loop two servers into each other; it is not a query either.
    if (query.type !== 'query' || !Array.isArray(query.questions)) {
      this.malformed++;
      return 'malformed';
    }
    const question = query.questions[0];
    const opt = query.additionals?.find((a): a is OptAnswer => a.type === 'OPT');
    const opcode = (query as DecodedPacket & { opcode?: string }).opcode;
    const name = question ? safeZoneName(question.name) : undefined;
    const record: DnsQueryRecord = {
      seq: this.seq++,
      at: performance.now(),
      transport,
      name: name ?? question?.name ?? '',
      type: question?.type ?? '',
      outcome: 'timeout',
      answers: 0,
      truncated: false,
      ...(opt ? { ednsSize: opt.udpPayloadSize } : {}),
    };
    this.remember(record);

    let rcode: Rcode;
    let answers: Answer[] = [];
    const fault = name === undefined ? undefined : this.faults.get(name);
    if (this.down || fault === 'timeout') return undefined;
    if (opcode !== 'QUERY') rcode = 'NOTIMP';
    else if (query.questions.length !== 1 || !question || name === undefined) rcode = 'FORMERR';
    else if (fault === 'servfail') rcode = 'SERVFAIL';
    else if (fault === 'refused') rcode = 'REFUSED';
    else ({ rcode, answers } = this.zone.answer(question.name, question.type));

    if (this.latency > 0) await this.delay(this.latency);
    if (this.boundPort === undefined) return undefined; // stopped while waiting

    const limit =
      transport === 'tcp'
        ? Number.POSITIVE_INFINITY
        : opt
          ? Math.min(Math.max(opt.udpPayloadSize, PLAIN_UDP_LIMIT), EDNS_UDP_LIMIT)
          : PLAIN_UDP_LIMIT;
    const response: Packet = {
      type: 'response',
      id: query.id ?? 0,
      // The opcode, RD and CD are copied from the query (RFC 1035 4.1.1); this server always recurses.
      flags:
        ((query.flags ?? 0) & (OPCODE_BITS | dnsPacket.RECURSION_DESIRED | dnsPacket.CHECKING_DISABLED)) |
        dnsPacket.RECURSION_AVAILABLE,
      questions: query.questions,
      answers,
      additionals: opt
        ? [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: EDNS_UDP_LIMIT,
              extendedRcode: 0,
              ednsVersion: 0,
              flags: 0,
              flag_do: false,
              options: [],
            },
          ]
        : [],
    };
    let encoded = encode(response, rcode);
    if (encoded.length > limit) {
      // RFC 2181 9: a truncated answer says so and the client asks again over TCP.
      response.answers = [];
      response.flags = (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
      encoded = encode(response, rcode);
      record.truncated = true;
    }
    record.outcome = rcode;
    record.answers = response.answers?.length ?? 0;
    return encoded;
  }

  private remember(record: DnsQueryRecord): void {
    this.log.push(record);
    if (this.log.length > this.logLimit) this.log.splice(0, this.log.length - this.logLimit);
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const release = () => {
        clearTimeout(timer);
        this.pending.delete(release);
        resolve();
      };
      const timer = setTimeout(release, ms);
      this.pending.add(release);
    });
  }
}

function encode(response: Packet, rcode: Rcode): Buffer {
  try {
    return dnsPacket.encode({ ...response, flags: (response.flags ?? 0) | RCODES[rcode] });
  } catch {
    // Data the wire cannot carry (e.g. over 64 KiB) is the server's failure, not the client's.
    return dnsPacket.encode({ ...response, answers: [], flags: (response.flags ?? 0) | RCODES.SERVFAIL });
  }
}

function safeZoneName(name: unknown): string | undefined {
  try {
    return typeof name === 'string' ? zoneName(name) : undefined;
  } catch {
    return undefined;
  }
}

function checkLatency(ms: number): number {
  if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`latencyMs must be a non-negative number, got ${ms}`);
  return ms;
}
