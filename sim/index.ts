import { VendorDnsServer } from './dns/server.js';
import { controlNetwork } from './network/control.js';
import { SimNetwork } from './network/network.js';
import { SimServer } from './server.js';
import type { Ec2Service } from './services/ec2/service.js';
import { defaultServices } from './services/index.js';
import type { LambdaService } from './services/lambda/service.js';
import type { ResolverService } from './services/resolver/service.js';

export { SimServer } from './server.js';

export interface StartSimOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** Port of the vendor DNS server (UDP and TCP); 0, the default, picks a free one. */
  dnsPort?: number;
  /** Serve these services from another endpoint (LocalStack, moto); see SimServerOptions.upstream. */
  upstream?: { endpoint: string; services: string[] };
}

/** The simulated account: the AWS endpoint plus the vendor's DNS server, both on loopback. */
export class SimAccount extends SimServer {
  readonly dns: VendorDnsServer;
  /** The VPC data plane: VPC resolvers, public DNS, the vendor's TCP services, gateway tunnels. */
  readonly network: SimNetwork;

  constructor(options: StartSimOptions = {}) {
    super({ ...options, services: defaultServices() });
    this.dns = new VendorDnsServer({ ...(options.host ? { host: options.host } : {}), port: options.dnsPort ?? 0 });
    this.addControlRoute('dns', (method, subpath, body) => this.dns.control(method, subpath, body));
    this.network = new SimNetwork({
      ec2: () => this.service<Ec2Service>('ec2').world,
      resolver: () => this.service<ResolverService>('route53resolver'),
      vendorDns: this.dns,
    });
    this.service<LambdaService>('lambda').networkScope = (subnets) => this.network.scopeFor(subnets);
    this.addControlRoute('network', (method, subpath, body) => controlNetwork(this.network, method, subpath, body));
  }

  override async start(): Promise<string> {
    await this.dns.start();
    return super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.network.stopAll();
    await this.dns.stop();
  }

  override async reset(): Promise<void> {
    await super.reset();
    this.dns.reset();
    await this.network.reset();
  }

  override env(): Record<string, string> {
    return { ...super.env(), CGW_VENDOR_DNS_SERVERS: this.dns.servers().join(',') };
  }
}

/** Starts the simulated account on loopback with every service; `await sim.stop()` when done. */
export async function startSim(options: StartSimOptions = {}): Promise<SimAccount> {
  const sim = new SimAccount(options);
  await sim.start();
  return sim;
}
