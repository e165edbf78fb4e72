import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import dnsPacket, { type Answer, type DecodedPacket, type Packet } from 'dns-packet';
import type { ResolverRule } from '../services/resolver/model.js';

type Rcode = 'NOERROR' | 'SERVFAIL' | 'NXDOMAIN';
const RCODES: Record<Rcode, number> = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 };
/** CNAME links followed before giving up. */
const MAX_CHASE = 16;
/** How long a forwarded query waits for the vendor's DNS before the resolver answers SERVFAIL (wall clock). */
const FORWARD_TIMEOUT_MS = 1500;

/** What the VPC resolver needs from the rest of the simulated account. */
export interface VpcResolverWorld {
  /** FORWARD and SYSTEM rules associated with the VPC (COMPLETE associations). */
  rules(vpcId: string): ResolverRule[];
  /** The loopback `host:port` a forward target is reached at, or undefined when its path is down. */
  forwardTarget(rule: ResolverRule): { host: string; port: number } | undefined;
  /** The public DNS answer for one name and type, without chasing a CNAME. */
  publicAnswer(name: string, qtype: string): { rcode: Rcode; answers: Answer[] };
}

export interface ResolvedAnswer {
  rcode: Rcode;
  answers: Answer[];
}

const lower = (name: string) => name.toLowerCase().replace(/\.$/, '');

/**
 * The rule a name matches: Route 53 Resolver matches a rule's domain and its subdomains, and of several
 * matching rules uses the most specific domain (Route 53 Developer Guide, "How Resolver determines
 * whether the domain name in a query matches any rules"). A SYSTEM rule makes Resolver answer itself.
 */
export function matchingRule(name: string, rules: readonly ResolverRule[]): ResolverRule | undefined {
  const asked = lower(name);
  let best: ResolverRule | undefined;
  for (const rule of rules) {
    const domain = lower(rule.DomainName);
    const matches = domain === '' || asked === domain || asked.endsWith(`.${domain}`);
    if (matches && (!best || domain.length > lower(best.DomainName).length)) best = rule;
  }
  return best;
}

/**
 * A VPC's Route 53 Resolver (the VPC's base + 2) on loopback, over UDP: every name of a CNAME chain is
 * matched against the VPC's rules on its own. A name under a FORWARD rule is asked of the rule's target
 * through the outbound endpoint (SERVFAIL when the path is down or the target is silent); from that
 * answer only the record for the name asked is kept, and a CNAME is followed by resolving its target
 * again, rules and all. Any other name gets the public answer. That Resolver does not take the
 * forwarded server's chased records for the CNAME target is inferred, not documented: it is the
 * behaviour the per-CNAME forward rules exist for (a target without its own rule resolves publicly).
 */
export class VpcResolver {
  private udp?: UdpSocket;
  private boundPort?: number;

  constructor(
    readonly vpcId: string,
    private readonly world: VpcResolverWorld,
  ) {}

  get port(): number {
    if (this.boundPort === undefined) throw new Error(`the resolver of ${this.vpcId} is not started`);
    return this.boundPort;
  }

  async start(): Promise<number> {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve());
    });
    udp.removeAllListeners('error');
    udp.on('error', () => {});
    udp.on('message', (packet, peer) => {
      void this.reply(packet).then((reply) => {
        if (reply && this.udp === udp) udp.send(reply, peer.port, peer.address);
      });
    });
    this.udp = udp;
    this.boundPort = udp.address().port;
    return this.boundPort;
  }

  async stop(): Promise<void> {
    const udp = this.udp;
    this.udp = undefined;
    this.boundPort = undefined;
    if (udp) await new Promise<void>((resolve) => udp.close(() => resolve()));
  }

  private async reply(packet: Buffer): Promise<Buffer | undefined> {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(packet);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    if (query.type !== 'query' || !question) return undefined;
    const { rcode, answers } = await this.resolve(question.name, question.type);
    const response: Packet = {
      type: 'response',
      id: query.id ?? 0,
      flags: ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED) | dnsPacket.RECURSION_AVAILABLE | RCODES[rcode],
      questions: [question],
      answers,
    };
    return dnsPacket.encode(response);
  }

  /** Resolves one question as the VPC's resolver would, following CNAMEs through the rules. */
  async resolve(name: string, qtype: string): Promise<ResolvedAnswer> {
    const answers: Answer[] = [];
    let current = name.replace(/\.$/, '');
    const seen = new Set<string>();
    for (let hop = 0; hop <= MAX_CHASE; hop++) {
      const step = await this.answerOne(current, qtype);
      if (step.rcode !== 'NOERROR') return { rcode: step.rcode, answers: step.rcode === 'NXDOMAIN' ? answers : [] };
      const own = step.answers.filter((a) => lower(a.name) === lower(current));
      const alias = own.find((a) => a.type === 'CNAME');
      if (!alias || qtype === 'CNAME')
        return { rcode: 'NOERROR', answers: [...answers, ...own.filter((a) => a.type === qtype)] };
      answers.push(alias);
      seen.add(lower(current));
      current = String((alias as { data: unknown }).data);
      if (seen.has(lower(current))) return { rcode: 'SERVFAIL', answers: [] };
    }
    return { rcode: 'SERVFAIL', answers: [] };
  }

  private async answerOne(name: string, qtype: string): Promise<ResolvedAnswer> {
    const rule = matchingRule(name, this.world.rules(this.vpcId));
    if (rule?.RuleType !== 'FORWARD') return this.world.publicAnswer(name, qtype);
    const target = this.world.forwardTarget(rule);
    if (!target) return { rcode: 'SERVFAIL', answers: [] };
    return forward(target, name, qtype);
  }
}

/** One query to a forward target over UDP; SERVFAIL when it does not answer in time. */
function forward(target: { host: string; port: number }, name: string, qtype: string): Promise<ResolvedAnswer> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const id = Math.floor(Math.random() * 65535);
    const done = (answer: ResolvedAnswer) => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done({ rcode: 'SERVFAIL', answers: [] }), FORWARD_TIMEOUT_MS);
    socket.on('error', () => done({ rcode: 'SERVFAIL', answers: [] }));
    socket.on('message', (message) => {
      try {
        const reply = dnsPacket.decode(message);
        if (reply.id !== id) return;
        const code = (reply as DecodedPacket & { rcode?: string }).rcode;
        const rcode = code === 'NXDOMAIN' ? 'NXDOMAIN' : code === 'NOERROR' ? 'NOERROR' : 'SERVFAIL';
        done({ rcode, answers: (reply.answers ?? []) as Answer[] });
      } catch {
        done({ rcode: 'SERVFAIL', answers: [] });
      }
    });
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: qtype as 'A', name, class: 'IN' }],
    });
    socket.send(query, target.port, target.host);
  });
}
